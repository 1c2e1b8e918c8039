import { generateKeyPairSync } from 'node:crypto';
import { exportPublicKey, type SignalData } from '@rtcmesh/protocol';
import { describe, expect, it } from 'vitest';
import { canonicalFingerprints, LinkAuthenticator } from './link-auth.js';

const FP_A =
  '89:C3:2F:57:EF:83:01:BD:84:0B:D4:BA:F6:23:EF:C9:21:8E:2C:25:1B:33:F7:A9:FD:98:01:03:32:1E:CA:A0';
const FP_M =
  '11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00';

const sdp = (...fps: string[]): string =>
  [
    'v=0',
    'o=- 1 1 IN IP4 0.0.0.0',
    's=-',
    't=0 0',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    ...fps.map((f) => `a=fingerprint:sha-256 ${f}`),
    'a=setup:actpass',
    '',
  ].join('\r\n');

const offer = (s: string): SignalData => ({
  kind: 'description',
  gen: 'g1',
  description: { type: 'offer', sdp: s },
});

function node(id: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { id, auth: new LinkAuthenticator(id, () => privateKey), publicKey: exportPublicKey(publicKey) };
}

describe('LinkAuthenticator', () => {
  const a = node('node-a');
  const b = node('node-b');
  const c = node('node-c');

  it('accepts a description signed by the sender for this receiver', () => {
    const signed = a.auth.sign(b.id, offer(sdp(FP_A)));
    expect(signed.kind === 'description' && signed.auth?.fingerprint).toBe(`sha-256 ${FP_A}`);
    expect(b.auth.verify(a.id, a.publicKey, signed)).toEqual({ ok: true });
  });

  it('refuses a swapped fingerprint even when the original signature is kept (MITM)', () => {
    const signed = a.auth.sign(b.id, offer(sdp(FP_A)));
    if (signed.kind !== 'description') throw new Error('unreachable');
    const swapped: SignalData = { ...signed, description: { type: 'offer', sdp: sdp(FP_M) } };
    const r = b.auth.verify(a.id, a.publicKey, swapped);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/differ/);
  });

  it('refuses an extra fingerprint added next to the signed one', () => {
    const signed = a.auth.sign(b.id, offer(sdp(FP_A)));
    if (signed.kind !== 'description') throw new Error('unreachable');
    const added: SignalData = { ...signed, description: { type: 'offer', sdp: sdp(FP_A, FP_M) } };
    expect(b.auth.verify(a.id, a.publicKey, added).ok).toBe(false);
  });

  it('refuses unsigned descriptions, other keys, and a description meant for someone else', () => {
    expect(b.auth.verify(a.id, a.publicKey, offer(sdp(FP_A))).ok).toBe(false);
    // Signed by c's key but claimed to come from a: a's key does not verify it.
    expect(b.auth.verify(a.id, a.publicKey, c.auth.sign(b.id, offer(sdp(FP_A)))).ok).toBe(false);
    // a signed it for c; replayed to b it does not verify (bound to the receiver).
    expect(b.auth.verify(a.id, a.publicKey, a.auth.sign(c.id, offer(sdp(FP_A)))).ok).toBe(false);
    // Bound to the generation too.
    const signed = a.auth.sign(b.id, offer(sdp(FP_A)));
    expect(b.auth.verify(a.id, a.publicKey, { ...signed, gen: 'g2' }).ok).toBe(false);
  });

  it('refuses a description without any fingerprint', () => {
    const r = b.auth.verify(a.id, a.publicKey, offer('v=0\r\nm=application 9 UDP/DTLS/SCTP x\r\n'));
    expect(r.ok).toBe(false);
  });

  it('lets candidates and byes through unsigned (DTLS protects what they lead to)', () => {
    const cand: SignalData = { kind: 'candidate', gen: 'g1', candidate: null };
    expect(a.auth.sign(b.id, cand)).toBe(cand);
    expect(b.auth.verify(a.id, a.publicKey, cand)).toEqual({ ok: true });
  });

  it('normalises fingerprint lines (case, duplicates, order)', () => {
    const lower = FP_A.toLowerCase();
    expect(canonicalFingerprints(`a=fingerprint:SHA-256 ${lower}\na=fingerprint:sha-256 ${FP_A}\n`)).toBe(
      `sha-256 ${FP_A}`,
    );
  });
});
