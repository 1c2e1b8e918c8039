import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CandidateAddressFilter } from '../address-filter.js';
import type { LinkSignal } from '../link-signal.js';
import { isUsableRemoteCandidate, LocalSignals } from './link-signals.js';

const line = (ip: string, typ = 'host') => `candidate:1 1 udp 2116026367 ${ip} 5000 typ ${typ} generation 0`;
const filter = () => new CandidateAddressFilter({ excludeCidrs: ['100.64.0.0/10'] });

function signals(): { out: LinkSignal[]; local: LocalSignals } {
  const out: LinkSignal[] = [];
  const local = new LocalSignals(
    { gen: 'g1.a0', addressFilter: filter(), sendSignal: (s) => out.push(s) },
    pino({ level: 'silent' }),
  );
  return { out, local };
}

describe('LocalSignals', () => {
  it('signals offers and answers with excluded candidate lines stripped, and nothing else', () => {
    const { out, local } = signals();
    const sdp = ['v=0', `a=${line('100.64.0.7')}`, `a=${line('192.0.2.1')}`, ''].join('\r\n');
    local.description('offer', sdp);
    local.description('rollback', sdp);
    local.description('pranswer', sdp);
    local.description('answer', 'v=0\r\n');
    expect(out).toEqual([
      {
        kind: 'description',
        description: { type: 'offer', sdp: ['v=0', `a=${line('192.0.2.1')}`, ''].join('\r\n') },
        gen: 'g1.a0',
      },
      { kind: 'description', description: { type: 'answer', sdp: 'v=0\r\n' }, gen: 'g1.a0' },
    ]);
  });

  it('never signals a candidate on an excluded address; signals the rest and the end as they are', () => {
    const { out, local } = signals();
    local.candidate({ candidate: line('100.64.0.7'), sdpMid: '0', sdpMLineIndex: 0 });
    local.candidate({ candidate: line('192.0.2.1', 'srflx'), sdpMid: null, sdpMLineIndex: null });
    local.endOfCandidates();
    expect(out).toEqual([
      {
        kind: 'candidate',
        candidate: { candidate: line('192.0.2.1', 'srflx'), sdpMid: null, sdpMLineIndex: null },
        gen: 'g1.a0',
      },
      { kind: 'candidate', candidate: null, gen: 'g1.a0' },
    ]);
  });
});

describe('isUsableRemoteCandidate', () => {
  it('passes a remote candidate unless it ends the candidates or names an excluded address', () => {
    const f = filter();
    expect(isUsableRemoteCandidate(null, f)).toBe(false);
    expect(isUsableRemoteCandidate({ candidate: '' }, f)).toBe(false);
    expect(isUsableRemoteCandidate({ candidate: line('100.64.0.7') }, f)).toBe(false);
    expect(isUsableRemoteCandidate({ candidate: `a=${line('100.64.0.7')}` }, f)).toBe(false);
    expect(isUsableRemoteCandidate({ candidate: line('192.0.2.1'), sdpMid: '0' }, f)).toBe(true);
    expect(isUsableRemoteCandidate({ candidate: line('abcd.local') }, f)).toBe(true);
  });
});
