import { ErrorCode, PROTOCOL_VERSION } from '@rtcmesh/protocol';
import { expect, test } from 'vitest';
import { WebSocket } from 'ws';
import type { SignalServer } from '../server.js';
import {
  adminFetch,
  authenticate,
  connectNode,
  joinNode,
  metricValue,
  TestClient,
} from '../testing/test-client.js';
import { useServerPerTest } from '../testing/use-test-server.js';

const { start, clients } = useServerPerTest();

/** Opens a WebSocket; resolves with the client, or with the HTTP refusal (status, Retry-After, error code). */
function open(
  s: SignalServer,
  headers: Record<string, string> = {},
): Promise<TestClient | { status: number; retryAfter: string | undefined; code: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(s.wsUrl, { headers });
    const client = TestClient.attach(ws);
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          retryAfter: res.headers['retry-after'],
          code: (JSON.parse(body) as { error: { code: string } }).error.code,
        }),
      );
    });
    ws.once('error', reject);
    ws.once('open', () => {
      clients.push(client);
      resolve(client);
    });
  });
}

/** Opens until `pred` holds or the deadline passes (a closed socket is released when the server sees the close). */
async function eventually<T>(fn: () => Promise<T>, pred: (v: T) => boolean, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (pred(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const metric = (s: SignalServer, limit: string): Promise<number> =>
  metricValue(s, 'rtcmesh_limit_hits_total', 'limit', limit);

test('WebSocket connections per address: over the limit the upgrade gets 429 too-many-sessions', async () => {
  const s = await start({ maxSessionsPerIp: 3, maxHandshakesPerIp: 0 });
  await adminFetch(s, 'POST', '/api/v1/networks', { name: 'alpha', mode: 'l2' });
  const { body } = await adminFetch<{ key: string }>(s, 'POST', '/api/v1/keys', {
    network: 'alpha',
    reusable: true,
  });
  const nodes = await Promise.all([1, 2, 3].map((i) => joinNode(s, body.key, `n${i}`)));
  const sessions = [];
  for (const n of nodes) sessions.push((await connectNode(s, n)).client);
  clients.push(...sessions);
  const refused = await open(s);
  expect(refused).toEqual({ status: 429, retryAfter: '10', code: ErrorCode.TooManySessions });
  expect(await metric(s, 'ws-sessions-per-ip')).toBe(1);
  // Authenticated sessions are unaffected; closing one frees a place.
  sessions[0]!.send({ type: 'ping', ts: 1 });
  await sessions[0]!.next('pong');
  sessions[1]!.close();
  const admitted = await eventually(
    () => open(s),
    (r) => r instanceof TestClient,
  );
  expect(admitted).toBeInstanceOf(TestClient);
});

test('unauthenticated connections per address: the handshake limit refuses more with too-many-handshakes', async () => {
  const s = await start({ maxSessionsPerIp: 0, maxHandshakesPerIp: 2 });
  await adminFetch(s, 'POST', '/api/v1/networks', { name: 'alpha', mode: 'l2' });
  const { body } = await adminFetch<{ key: string }>(s, 'POST', '/api/v1/keys', { network: 'alpha' });
  const node = await joinNode(s, body.key, 'n1');
  const idle = (await open(s)) as TestClient;
  expect(idle).toBeInstanceOf(TestClient);
  // A second one that will authenticate, started before the limit is reached.
  const c = (await open(s)) as TestClient;
  expect(await open(s)).toMatchObject({ status: 429, code: ErrorCode.TooManyHandshakes });
  expect(await metric(s, 'ws-handshakes-per-ip')).toBe(1);
  // Authenticating ends the handshake: a place frees up while the session stays open.
  await authenticate(c, node.join.nodeId, node.key.privateKey, {
    versions: [PROTOCOL_VERSION],
    agentVersion: 't',
  });
  await c.next('welcome');
  expect(await open(s)).toBeInstanceOf(TestClient);
  expect(await open(s)).toMatchObject({ status: 429, code: ErrorCode.TooManyHandshakes });
});

test('behind a trusted proxy the limits count the forwarded client address, not the proxy', async () => {
  const s = await start({ maxSessionsPerIp: 1, trustProxy: ['127.0.0.1'] });
  const a = await open(s, { 'x-forwarded-for': '198.51.100.1' });
  expect(a).toBeInstanceOf(TestClient);
  expect(await open(s, { 'x-forwarded-for': '198.51.100.2' })).toBeInstanceOf(TestClient);
  expect(await open(s, { 'x-forwarded-for': '198.51.100.1' })).toMatchObject({ status: 429 });
});

test('a global connection cap: over it every address gets 503 server-full, and a closed one frees a place', async () => {
  const s = await start({
    maxConnections: 2,
    maxSessionsPerIp: 0,
    maxHandshakesPerIp: 0,
    trustProxy: ['127.0.0.1'],
  });
  const a = await open(s, { 'x-forwarded-for': '198.51.100.1' });
  const b = await open(s, { 'x-forwarded-for': '198.51.100.2' });
  expect(a).toBeInstanceOf(TestClient);
  expect(b).toBeInstanceOf(TestClient);
  expect(await open(s, { 'x-forwarded-for': '198.51.100.3' })).toEqual({
    status: 503,
    retryAfter: '30',
    code: ErrorCode.ServerFull,
  });
  expect(await metric(s, 'ws-connections')).toBe(1);
  (a as TestClient).close();
  const again = await eventually(
    () => open(s, { 'x-forwarded-for': '198.51.100.3' }),
    (r) => r instanceof TestClient,
  );
  expect(again).toBeInstanceOf(TestClient);
  for (const c of [b, again]) if (c instanceof TestClient) clients.push(c);
});
