// Signals and control messages from the remote side are untrusted (they cross the signaling server
// and the network). The parsers never throw and accept only what the schema allows; a PeerLink fed a
// stream of random and mutated signals (garbage SDP in offers, bogus candidates, unknown generations)
// never throws, never leaves an unhandled rejection behind, and still closes cleanly.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_CONTROL_MESSAGE_LENGTH, parseControlMessage } from './control-message.js';
import { linkSignalSchema, parseLinkSignal } from './link-signal.js';
import { PeerLink } from './peer-link.js';
import { loopbackOnly } from './testing/link-pair.js';

const SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF',
  'a=setup:actpass',
  'a=mid:0',
  'a=sctp-port:5000',
  '',
].join('\r\n');

/** SDP lines dropped, duplicated or garbled: what a broken or hostile relay could hand over. */
const mutatedSdp = fc
  .record({
    drop: fc.array(fc.nat(13), { maxLength: 4 }),
    garble: fc.array(fc.tuple(fc.nat(13), fc.string({ maxLength: 30 })), { maxLength: 3 }),
  })
  .map(({ drop, garble }) => {
    const lines = SDP.split('\r\n');
    for (const [i, s] of garble) lines[i % lines.length] = s;
    return lines.filter((_, i) => !drop.includes(i)).join('\r\n');
  });

const gen = fc.option(fc.oneof(fc.constantFrom('default', 'g1.a0', 'g2.r1'), fc.string({ maxLength: 12 })), {
  nil: undefined,
});
const description = fc.record({
  kind: fc.constant('description'),
  description: fc.record({
    type: fc.constantFrom('offer', 'answer', 'pranswer', 'rollback'),
    sdp: fc.oneof(mutatedSdp, fc.string({ maxLength: 100 })),
  }),
  gen,
});
const candidate = fc.record({
  kind: fc.constant('candidate'),
  candidate: fc.oneof(
    fc.constant(null),
    fc.record({
      candidate: fc.oneof(
        fc.constant('candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host'),
        fc.string({ maxLength: 80 }),
      ),
      sdpMid: fc.oneof(fc.constant('0'), fc.constant(null), fc.string({ maxLength: 4 })),
      sdpMLineIndex: fc.oneof(fc.nat(3), fc.integer()),
    }),
  ),
  gen,
});
const bye = fc.record({ kind: fc.constant('bye'), reason: fc.option(fc.string(), { nil: undefined }) });
const signal = fc.oneof(description, candidate, bye, fc.anything());
/** Without bye: a bye ends the link at once, and the point is to keep it negotiating with garbage. */
const noBye = fc.oneof(
  { weight: 3, arbitrary: description },
  { weight: 3, arbitrary: candidate },
  fc.anything(),
);

describe('parsers', () => {
  it('parseLinkSignal never throws and accepts exactly what the schema accepts', () => {
    fc.assert(
      fc.property(signal, (s) => {
        const r = parseLinkSignal(s);
        expect(r.ok).toBe(linkSignalSchema.safeParse(s).success);
        if (!r.ok) expect(r.error.length).toBeGreaterThan(0);
      }),
      { seed: 51, numRuns: 2000 },
    );
  });

  it('parseControlMessage never throws; only ping/pong with a non-negative integer id and msg pass', () => {
    const text = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record({
          t: fc.constantFrom('ping', 'pong', 'msg', 'other'),
          id: fc.jsonValue(),
          body: fc.jsonValue(),
        })
        .map((o) => JSON.stringify(o)),
    );
    fc.assert(
      fc.property(text, (t) => {
        const m = parseControlMessage(t);
        if (m === undefined) return;
        if (m.t === 'ping' || m.t === 'pong') expect(Number.isSafeInteger(m.id) && m.id >= 0).toBe(true);
        else expect(m.t).toBe('msg');
      }),
      { seed: 52, numRuns: 2000 },
    );
    expect(
      parseControlMessage(JSON.stringify({ t: 'msg', body: 'x'.repeat(MAX_CONTROL_MESSAGE_LENGTH) })),
    ).toBe(undefined);
  });
});

describe('PeerLink.handleSignal', () => {
  const problems: unknown[] = [];
  const onProblem = (err: unknown) => problems.push(err);
  beforeEach(() => {
    problems.length = 0;
    process.on('unhandledRejection', onProblem);
    process.on('uncaughtException', onProblem);
  });
  afterEach(() => {
    process.off('unhandledRejection', onProblem);
    process.off('uncaughtException', onProblem);
  });

  it('random and mutated signals never throw, leave no unhandled rejection, and the link closes', async () => {
    // Few runs: an accepted offer starts a real (werift) negotiation attempt.
    const inputs = fc.sample(fc.array(noBye, { minLength: 5, maxLength: 25 }), { seed: 53, numRuns: 8 });
    for (const batch of inputs) {
      const sent: unknown[] = [];
      const link = new PeerLink({
        localId: 'node-a',
        remoteId: 'node-b',
        iceServers: [],
        candidateAddresses: loopbackOnly(),
        connectTimeoutMs: 2000,
        sendSignal: (s) => sent.push(s),
      });
      for (const s of batch) expect(() => link.handleSignal(s)).not.toThrow();
      // Let any negotiation the garbage started run into its errors.
      await new Promise((r) => setTimeout(r, 150));
      await link.close('fuzz done');
      expect(link.currentState).toBe('closed');
      // Whatever it answered is itself a valid signal (the remote side would parse it).
      for (const s of sent) expect(parseLinkSignal(s).ok).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(problems).toEqual([]);
  });
});
