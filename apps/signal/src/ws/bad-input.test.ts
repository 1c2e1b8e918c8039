import { CloseCode, ErrorCode, LIMITS, PROTOCOL_VERSION, signAuthChallenge } from '@rtcmesh/protocol';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import {
  authenticate,
  connectKept,
  createNetworkWithKey,
  joinNode,
  metricValue,
  startTestServer,
  TestClient,
  type TestNode,
  tempDir,
} from '../testing/test-client.js';

let dir: ReturnType<typeof tempDir>;
let server: SignalServer;
let nodeA: TestNode;
let nodeB: TestNode;
const clients: TestClient[] = [];

async function raw(): Promise<TestClient> {
  const c = await TestClient.connect(server.wsUrl);
  clients.push(c);
  return c;
}

async function session(node: TestNode) {
  return (await connectKept(server, node, clients)).client;
}

/** A healthy pair keeps relaying: bad input on one connection never affects another. */
async function expectOthersUnaffected(): Promise<void> {
  const a = await session(nodeA);
  const b = await session(nodeB);
  a.send({ type: 'signal', to: nodeB.join.nodeId, data: { kind: 'bye', reason: 'check' } });
  expect((await b.next('signal')).from).toBe(nodeA.join.nodeId);
}

const rejectedCount = (reason: string): Promise<number> =>
  metricValue(server, 'rtcmesh_rejected_inputs_total', 'reason', reason);

beforeEach(async () => {
  dir = tempDir();
  server = await startTestServer(dir.path, {
    rateLimitPerSecond: 50,
    rateLimitBurst: 20,
    authTimeoutMs: 300,
  });
  const { key } = await createNetworkWithKey(server, 'alpha', { mode: 'l2' });
  nodeA = await joinNode(server, key, 'a');
  nodeB = await joinNode(server, key, 'b');
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.close();
  dir.remove();
});

describe('before authentication, bad input gets an error and the connection is closed', () => {
  test.each([
    ['malformed JSON', '{"type":"hello",', ErrorCode.BadJson],
    ['not an object', '[1,2,3]', ErrorCode.BadMessage],
    ['unknown type', '{"type":"gimme-peers"}', ErrorCode.UnknownType],
    ['invalid hello', '{"type":"hello","versions":"1","nodeId":"a"}', ErrorCode.InvalidMessage],
    [
      'signal before auth',
      '{"type":"signal","to":"node-x","data":{"kind":"bye"}}',
      ErrorCode.ProtocolViolation,
    ],
  ])('%s', async (_name, input, code) => {
    const c = await raw();
    c.send(input);
    expect((await c.next('error')).code).toBe(code);
    expect((await c.closed).code).toBe(CloseCode.ProtocolError);
    expect(await rejectedCount(code)).toBeGreaterThan(0);
    await expectOthersUnaffected();
  });

  test('unsupported protocol version', async () => {
    const c = await raw();
    c.send({ type: 'hello', versions: [PROTOCOL_VERSION + 100], nodeId: nodeA.join.nodeId });
    const err = await c.next('error');
    expect(err.code).toBe(ErrorCode.UnsupportedVersion);
    expect(err.message).toMatch(/server speaks \[2,1\]/);
    expect((await c.closed).code).toBe(CloseCode.UnsupportedVersion);
  });

  test('bad signature', async () => {
    const c = await raw();
    // Signed with B's key, claiming to be A.
    await authenticate(c, nodeA.join.nodeId, nodeB.key.privateKey, { versions: [1] });
    expect((await c.next('error')).code).toBe(ErrorCode.AuthFailed);
    expect((await c.closed).code).toBe(CloseCode.AuthFailed);
    await expectOthersUnaffected();
  });

  test('unknown node id gets a challenge, then the same auth failure', async () => {
    const c = await raw();
    await authenticate(c, 'n-doesnotexist', nodeA.key.privateKey, { versions: [1] });
    expect((await c.next('error')).code).toBe(ErrorCode.AuthFailed);
  });

  test('replayed challenge answer: a captured signature is useless in a new session', async () => {
    const first = await raw();
    first.send({ type: 'hello', versions: [1], nodeId: nodeA.join.nodeId });
    const ch = await first.next('challenge');
    const signature = signAuthChallenge(nodeA.key.privateKey, {
      nodeId: nodeA.join.nodeId,
      nonce: ch.nonce,
      version: 1,
    });
    first.send({ type: 'auth', signature });
    await first.next('welcome');

    const replay = await raw();
    replay.send({ type: 'hello', versions: [1], nodeId: nodeA.join.nodeId });
    const ch2 = await replay.next('challenge');
    expect(ch2.nonce).not.toBe(ch.nonce);
    replay.send({ type: 'auth', signature });
    expect((await replay.next('error')).code).toBe(ErrorCode.AuthFailed);
    expect((await replay.closed).code).toBe(CloseCode.AuthFailed);
    // And the authenticated session cannot be made to re-auth.
    first.send({ type: 'auth', signature });
    expect((await first.next('error')).code).toBe(ErrorCode.ProtocolViolation);
  });

  test('no auth in time', async () => {
    const c = await raw();
    c.send({ type: 'hello', versions: [1], nodeId: nodeA.join.nodeId });
    await c.next('challenge');
    expect((await c.next('error')).code).toBe(ErrorCode.AuthTimeout);
    expect((await c.closed).code).toBe(CloseCode.AuthTimeout);
  });
});

describe('after authentication', () => {
  test('malformed, unknown, invalid and binary messages get errors; the session stays up', async () => {
    const a = await session(nodeA);
    a.send('{oops');
    expect((await a.next('error')).code).toBe(ErrorCode.BadJson);
    a.send({ type: 'frobnicate', id: 'q1' });
    expect(await a.next('error')).toMatchObject({ code: ErrorCode.UnknownType, ref: 'q1' });
    a.send({
      type: 'signal',
      id: 'q2',
      to: nodeB.join.nodeId,
      data: { kind: 'description', description: { type: 'offer', sdp: 'x'.repeat(LIMITS.maxSdpBytes + 1) } },
    });
    expect(await a.next('error')).toMatchObject({ code: ErrorCode.InvalidMessage, ref: 'q2' });
    a.send({ type: 'signal', to: 'NOT VALID', data: { kind: 'bye' } });
    expect((await a.next('error')).code).toBe(ErrorCode.InvalidMessage);
    a.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await a.next('error')).code).toBe(ErrorCode.BadMessage);
    a.send({ type: 'ping', ts: 1 });
    expect((await a.next('pong')).ts).toBe(1);
  });

  test('oversize frame: error too-large and close 1009', async () => {
    const a = await session(nodeA);
    a.send({ type: 'ping', ts: 1, pad: 'x'.repeat(LIMITS.maxMessageBytes) });
    expect((await a.next('error')).code).toBe(ErrorCode.TooLarge);
    expect((await a.closed).code).toBe(CloseCode.MessageTooBig);
    await expectOthersUnaffected();
  });

  test('flood: messages beyond the rate are dropped with rate-limited, then the connection is closed', async () => {
    const a = await session(nodeA);
    for (let i = 0; i < 500; i++) a.send({ type: 'ping', ts: i });
    expect((await a.next('error')).code).toBe(ErrorCode.RateLimited);
    expect((await a.closed).code).toBe(CloseCode.RateLimited);
    // The burst (20, of which hello and auth used 2) got through before the limit hit.
    expect(a.all('pong').length).toBeGreaterThanOrEqual(15);
    expect(a.all('pong').length).toBeLessThan(100);
    await expectOthersUnaffected();
  });

  test('telemetry with a bad link is refused whole', async () => {
    const a = await session(nodeA);
    a.send({
      type: 'telemetry',
      id: 't1',
      links: [
        {
          peerId: nodeB.join.nodeId,
          state: 'connected',
          path: 'teleport',
          txBytes: 1,
          rxBytes: 1,
          txPackets: 1,
          rxPackets: 1,
          drops: 0,
          since: 0,
        },
      ],
    });
    expect(await a.next('error')).toMatchObject({ code: ErrorCode.InvalidMessage, ref: 't1' });
  });
});
