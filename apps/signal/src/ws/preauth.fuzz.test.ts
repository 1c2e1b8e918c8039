// Before authentication a connection may send anything: random, half-valid and out-of-order messages
// (a hello with any fields, an auth with a random signature, any other type, binary frames). Each
// such connection is answered with a coded error and closed with a protocol close code, nothing
// internal leaks out, and authenticated sessions keep working. (After authentication: fuzz.test.ts.)
import { CLIENT_MESSAGE_TYPES, CloseCode, ErrorCode, PROTOCOL_VERSION } from '@rtcmesh/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import {
  connectNode,
  createNetworkWithKey,
  joinNode,
  startTestServer,
  TestClient,
  type TestNode,
  tempDir,
} from '../testing/test-client.js';

let dir: ReturnType<typeof tempDir>;
let server: SignalServer;
let node: TestNode;

beforeAll(async () => {
  dir = tempDir();
  // Per-address limits off: every test connection comes from 127.0.0.1.
  server = await startTestServer(dir.path, {
    maxHandshakesPerIp: 0,
    maxSessionsPerIp: 0,
    authTimeoutMs: 2000,
  });
  const { key } = await createNetworkWithKey(server, 'alpha', { mode: 'l2' }, false);
  node = await joinNode(server, key, 'a');
});

afterAll(async () => {
  await server.close();
  dir.remove();
});

const PROTOCOL_CLOSES: number[] = [
  CloseCode.ProtocolError,
  CloseCode.UnsupportedVersion,
  CloseCode.AuthFailed,
  CloseCode.AuthTimeout,
  CloseCode.MessageTooBig,
];

test('random pre-auth scripts get a coded error and a protocol close, never an internal error', async () => {
  const hello = fc.oneof(
    fc
      .constant({ type: 'hello', versions: [PROTOCOL_VERSION], nodeId: '' })
      .map((h) => ({ ...h, nodeId: node.join.nodeId })),
    fc.record(
      {
        type: fc.constant('hello'),
        versions: fc.jsonValue(),
        nodeId: fc.oneof(fc.string(), fc.jsonValue()),
        id: fc.jsonValue(),
      },
      { requiredKeys: ['type'] },
    ),
  );
  const anyMessage = fc.oneof(
    fc.record({
      type: fc.constant('auth'),
      signature: fc.oneof(fc.base64String({ maxLength: 88 }), fc.jsonValue()),
    }),
    fc.record({ type: fc.constantFrom(...CLIENT_MESSAGE_TYPES, 'nope'), id: fc.string({ maxLength: 70 }) }),
    fc.jsonValue(),
  );
  const script = fc.tuple(
    fc.option(hello, { nil: undefined }),
    fc.array(
      fc.oneof(
        anyMessage.map((m) => JSON.stringify(m)),
        fc.string({ maxLength: 50 }),
      ),
      {
        minLength: 1,
        maxLength: 3,
      },
    ),
  );
  await fc.assert(
    fc.asyncProperty(script, async ([h, rest]) => {
      const c = await TestClient.connect(server.wsUrl);
      if (h) c.send(h);
      for (const m of rest) c.send(m);
      const closed = await c.closed;
      expect(PROTOCOL_CLOSES, `close ${closed.code} ${closed.reason}`).toContain(closed.code);
      const errors = c.all('error');
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.filter((e) => e.code === ErrorCode.Internal)).toEqual([]);
      // Never a welcome: nothing random authenticates.
      expect(c.all('welcome')).toEqual([]);
    }),
    { seed: 1207, numRuns: 150 },
  );
  const { client } = await connectNode(server, node);
  client.send({ type: 'ping', ts: 5 });
  expect((await client.next('pong')).ts).toBe(5);
  client.close();
});
