// Every per-connection limit of the signaling WebSocket gives the client a clear error (or close
// code) and shows up in /metrics as rtcmesh_limit_hits_total{limit=...}, next to the per-address and
// join limits (connection-limits.test.ts, api/join-limits.test.ts), so an operator sees which limit
// is refusing clients.
import { CloseCode, ErrorCode } from '@rtcmesh/protocol';
import { expect, test } from 'vitest';
import type { SignalServerOptions } from '../options.js';
import type { SignalServer } from '../server.js';
import {
  connectKept,
  createNetworkWithKey,
  joinNode,
  metricValue as metric,
  type TestClient,
  type TestNode,
} from '../testing/test-client.js';
import { useServerPerTest } from '../testing/use-test-server.js';

const fixture = useServerPerTest();

async function start(
  extra: Partial<SignalServerOptions>,
): Promise<{ s: SignalServer; a: TestNode; b: TestNode }> {
  const s = await fixture.start(extra);
  const { key } = await createNetworkWithKey(s, 'alpha', { mode: 'l2' });
  return { s, a: await joinNode(s, key, 'a'), b: await joinNode(s, key, 'b') };
}

async function session(s: SignalServer, node: TestNode): Promise<TestClient> {
  return (await connectKept(s, node, fixture.clients)).client;
}

test('message rate: rate-limited error, then close 4006 on a flood; counted as ws-message-rate', async () => {
  const { s, a } = await start({ rateLimitPerSecond: 20, rateLimitBurst: 10 });
  const c = await session(s, a);
  for (let i = 0; i < 300; i++) c.send({ type: 'ping', ts: i });
  const err = await c.next('error');
  expect(err.code).toBe(ErrorCode.RateLimited);
  expect(err.message).toMatch(/messages\/s|flooding/);
  expect((await c.closed).code).toBe(CloseCode.RateLimited);
  expect(await metric(s, 'rtcmesh_limit_hits_total', 'limit', 'ws-message-rate')).toBeGreaterThan(0);
  expect(await metric(s, 'rtcmesh_rejected_inputs_total', 'reason', ErrorCode.RateLimited)).toBeGreaterThan(
    0,
  );
});

test('message size: too-large error naming the limit, close 1009; counted as ws-message-size', async () => {
  const { s, a } = await start({ maxMessageBytes: 4096 });
  const c = await session(s, a);
  c.send({ type: 'ping', ts: 1, pad: 'x'.repeat(5000) });
  const err = await c.next('error');
  expect(err.code).toBe(ErrorCode.TooLarge);
  expect(err.message).toMatch(/4096 bytes/);
  expect((await c.closed).code).toBe(CloseCode.MessageTooBig);
  expect(await metric(s, 'rtcmesh_limit_hits_total', 'limit', 'ws-message-size')).toBe(1);
});

test('a client that stops reading is closed as a slow consumer; counted as ws-slow-consumer', async () => {
  const { s, a, b } = await start({
    maxBufferedBytes: 64 * 1024,
    rateLimitPerSecond: 100_000,
    rateLimitBurst: 100_000,
  });
  const reader = await session(s, a);
  const sender = await session(s, b);
  // Stop reading: the server's writes pile up in the kernel buffers, then in its own send queue.
  (reader.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const sdp = `v=0\r\n${'a=x\r\n'.repeat(10_000)}`;
  const deadline = Date.now() + 10_000;
  while ((await metric(s, 'rtcmesh_limit_hits_total', 'limit', 'ws-slow-consumer')) === 0) {
    if (Date.now() > deadline) throw new Error('the slow consumer was never cut off');
    for (let i = 0; i < 50; i++)
      sender.send({
        type: 'signal',
        to: a.join.nodeId,
        data: { kind: 'description', description: { type: 'offer', sdp } },
      });
    await new Promise((r) => setTimeout(r, 20));
  }
  // The sender is unaffected.
  sender.send({ type: 'ping', ts: 7 });
  expect((await sender.next('pong', (m) => m.ts === 7, 10_000)).ts).toBe(7);
});
