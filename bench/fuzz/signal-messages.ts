// Generated signaling messages for the fuzz bench: valid ones of every client type, mutated-valid ones
// (fields dropped, replaced by arbitrary JSON, wrong type, truncated or garbled text) and garbage.
// Deterministic: batches are drawn with fc.sample from a seed.
import fc from 'fast-check';

/** One message to put on the socket: text, or a binary frame (which the server must refuse). */
export type WireMessage = { text: string } | { binary: Uint8Array };

export type MessageMix = {
  /** Node ids of the sender's network (targets of relayed signals) and of another network. */
  peers: readonly string[];
  foreign: readonly string[];
};

const sdp = fc
  .array(fc.constantFrom('v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=mid:0', 'a=sctp-port:5000'), {
    minLength: 1,
    maxLength: 8,
  })
  .map((lines) => `${lines.join('\r\n')}\r\n`);

const ip = fc.oneof(fc.ipV4(), fc.ipV6());
const mac = fc
  .array(fc.nat(255), { minLength: 6, maxLength: 6 })
  .map((b) => b.map((x) => x.toString(16).padStart(2, '0')).join(':'));

function validMessage(mix: MessageMix): fc.Arbitrary<Record<string, unknown>> {
  const to = fc.constantFrom(...mix.peers, ...mix.foreign, 'n-doesnotexist');
  const signalData = fc.oneof(
    fc.record({
      kind: fc.constant('description'),
      gen: fc.string({ minLength: 1, maxLength: 12 }),
      description: fc.record({ type: fc.constantFrom('offer', 'answer'), sdp }),
    }),
    fc.record({
      kind: fc.constant('candidate'),
      candidate: fc.oneof(
        fc.constant(null),
        fc.record({
          candidate: fc.constant('candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host'),
          sdpMid: fc.constant('0'),
          sdpMLineIndex: fc.constant(0),
        }),
      ),
    }),
    fc.record({ kind: fc.constant('bye'), reason: fc.string({ maxLength: 30 }) }),
  );
  const link = fc.record({
    peerId: fc.constantFrom(...mix.peers),
    state: fc.constantFrom('new', 'connecting', 'connected', 'closed'),
    path: fc.constantFrom('direct', 'relay', null),
    txBytes: fc.nat(),
    rxBytes: fc.nat(),
    txPackets: fc.nat(),
    rxPackets: fc.nat(),
    drops: fc.nat(),
    since: fc.nat(),
  });
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ type: fc.constant('signal'), to, data: signalData }) },
    {
      weight: 1,
      arbitrary: fc.record(
        {
          type: fc.constant('advertise'),
          bindings: fc.array(fc.record({ mac, ips: fc.array(ip, { maxLength: 3 }), seq: fc.nat(100) }), {
            maxLength: 4,
          }),
          routes: fc.array(
            fc.record({
              prefix: fc.constantFrom('192.168.7.0/24', '172.16.0.0/12', 'fd42::/64', '10.0.0.0/8'),
              seq: fc.nat(100),
            }),
            { maxLength: 2 },
          ),
        },
        { requiredKeys: ['type'] },
      ),
    },
    {
      weight: 1,
      arbitrary: fc.record({ type: fc.constant('telemetry'), links: fc.array(link, { maxLength: 4 }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant('event'),
        event: fc.record({
          kind: fc.constantFrom('mac-move', 'link-up', 'other'),
          message: fc.string({ maxLength: 40 }),
        }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant('status'),
        netcheck: fc.dictionary(
          fc.string({ minLength: 1, maxLength: 8 }),
          fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
        ),
      }),
    },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('ping'), ts: fc.integer() }) },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant('browser-signal'),
        linkId: fc.constant('bl-AAAAAAAAAAAA'),
        data: signalData,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constantFrom('hello', 'auth', 'rekey'),
        versions: fc.constant([1]),
        nodeId: to,
        signature: fc.base64String({ maxLength: 88 }),
        publicKey: fc.base64String({ maxLength: 44 }),
      }),
    },
  );
}

/** Keys dropped, values replaced by arbitrary JSON (the type too, sometimes), extra keys added. */
function mutatedObject(valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record({
      v: valid,
      dropSome: fc.nat(3),
      replace: fc.dictionary(
        fc.constantFrom(
          'type',
          'to',
          'data',
          'links',
          'routes',
          'bindings',
          'event',
          'ts',
          'id',
          'netcheck',
          'kind',
        ),
        fc.jsonValue({ maxDepth: 3 }),
        { maxKeys: 2 },
      ),
    })
    .map(({ v, dropSome, replace }) => {
      const o: Record<string, unknown> = { ...v };
      const keys = Object.keys(o).filter((k) => k !== 'type');
      for (let i = 0; i < dropSome && keys.length > 0; i++) delete o[keys[(i * 7) % keys.length]!];
      return { ...o, ...replace };
    });
}

/** Valid JSON text cut short or with characters overwritten. */
function garbledText(valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<string> {
  return fc
    .record({ v: valid, cut: fc.nat(), edits: fc.array(fc.tuple(fc.nat(), fc.nat(0x7e)), { maxLength: 3 }) })
    .map(({ v, cut, edits }) => {
      const s = JSON.stringify(v);
      const chars = [...s.slice(0, s.length - (cut % Math.max(1, s.length)))];
      for (const [at, c] of edits) if (chars.length > 0) chars[at % chars.length] = String.fromCharCode(c);
      return chars.join('');
    });
}

/** The whole mix: ~40 % valid, ~35 % mutated-valid, ~25 % garbage (a few binary and oversize frames). */
export function messageArbitrary(mix: MessageMix): fc.Arbitrary<WireMessage> {
  const valid = validMessage(mix);
  const text = (a: fc.Arbitrary<string>) => a.map((t): WireMessage => ({ text: t }));
  return fc.oneof(
    { weight: 400, arbitrary: text(valid.map((v) => JSON.stringify(v))) },
    { weight: 250, arbitrary: text(mutatedObject(valid).map((v) => JSON.stringify(v))) },
    { weight: 100, arbitrary: text(garbledText(valid)) },
    { weight: 100, arbitrary: text(fc.json({ maxDepth: 3 })) },
    { weight: 100, arbitrary: text(fc.string({ maxLength: 200 })) },
    { weight: 30, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b): WireMessage => ({ binary: b })) },
    // Over the server's message limit: answered too-large and the connection closed (0.1 %: each one
    // costs a reconnect).
    {
      weight: 1,
      arbitrary: fc.constant<WireMessage>({
        text: JSON.stringify({ type: 'ping', ts: 1, pad: 'x'.repeat(300_000) }),
      }),
    },
  );
}

/** What an unauthenticated connection sends: a hello (valid or not), then anything. */
export function preAuthArbitrary(mix: MessageMix): fc.Arbitrary<WireMessage[]> {
  const hello = fc.oneof(
    fc.constantFrom(...mix.peers).map((nodeId) => JSON.stringify({ type: 'hello', versions: [1], nodeId })),
    fc
      .record({ type: fc.constant('hello'), versions: fc.jsonValue(), nodeId: fc.string() })
      .map((v) => JSON.stringify(v)),
  );
  return fc
    .tuple(
      hello,
      fc.array(messageArbitrary(mix), { minLength: 1, maxLength: 3 }),
      fc.option(fc.base64String({ maxLength: 88 }), { nil: undefined }),
    )
    .map(([h, rest, signature]) => [
      { text: h },
      ...(signature === undefined ? [] : [{ text: JSON.stringify({ type: 'auth', signature }) }]),
      ...rest,
    ]);
}
