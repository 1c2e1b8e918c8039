import { describe, expect, it } from 'vitest';
import { parseLinkSignal } from './link-signal.js';

describe('parseLinkSignal', () => {
  it('accepts the three signal kinds', () => {
    for (const s of [
      { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' }, gen: 'abc.a0' },
      { kind: 'description', description: { type: 'answer', sdp: 'v=0\r\n' } },
      {
        kind: 'candidate',
        candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5 typ host', sdpMid: '0', sdpMLineIndex: 0 },
      },
      {
        kind: 'candidate',
        candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 5 typ host', sdpMid: null },
      },
      { kind: 'candidate', candidate: null, gen: 'x' },
      { kind: 'bye' },
      { kind: 'bye', reason: 'removed' },
    ]) {
      expect(parseLinkSignal(s)).toEqual({ ok: true, signal: s });
    }
  });

  it('rejects malformed or oversized input with a message', () => {
    for (const bad of [
      null,
      'offer',
      { kind: 'description', description: { type: 'rollback', sdp: 'v=0' } },
      { kind: 'description', description: { type: 'offer', sdp: 'x'.repeat(70_000) } },
      { kind: 'candidate' },
      { kind: 'candidate', candidate: { candidate: 'c', sdpMLineIndex: -1 } },
      { kind: 'description', description: { type: 'offer', sdp: 'v=0' }, gen: '' },
      { kind: 'hello' },
    ]) {
      const r = parseLinkSignal(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.length).toBeGreaterThan(0);
    }
  });
});
