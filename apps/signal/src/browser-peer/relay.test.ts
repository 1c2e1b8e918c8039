import { generateNodeKey } from '@rtcmesh/protocol';
import { expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import { connectNode, createNetworkWithKey, joinNode } from '../testing/test-client.js';
import { useTestServer } from '../testing/use-test-server.js';

let server: SignalServer;
let key = '';
const clients = useTestServer(
  async (s) => {
    server = s;
    key = (await createNetworkWithKey(server, 'alpha', { mode: 'l2' })).key;
  },
  { consoleDir: null },
);

async function session(): Promise<string> {
  const res = await fetch(`${server.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-rtcmesh-csrf': '1' },
    body: JSON.stringify({ token: 'test-admin-token' }),
  });
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

function offer(nodeId: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${server.url}/api/v1/nodes/${nodeId}/browser-link`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ sdp: 'v=0 browser offer' }),
  });
}

test('a signed-in admin gets the agent answer; only the addressed agent can answer', async () => {
  const a = await joinNode(server, key, 'a', generateNodeKey());
  const b = await joinNode(server, key, 'b', generateNodeKey());
  const ca = (await connectNode(server, a)).client;
  const cb = (await connectNode(server, b)).client;
  clients.push(ca, cb);
  const cookie = await session();
  const pending = offer(a.join.nodeId, { cookie, 'x-rtcmesh-csrf': '1' });
  const got = await ca.next('browser-signal');
  expect(got.data).toMatchObject({
    kind: 'description',
    description: { type: 'offer', sdp: 'v=0 browser offer' },
  });
  // Another node of the network cannot answer a link that is not its own.
  cb.send({
    type: 'browser-signal',
    id: 'x',
    linkId: got.linkId,
    data: { kind: 'description', description: { type: 'answer', sdp: 'forged' } },
  });
  expect((await cb.next('error', (e) => e.ref === 'x')).code).toBe('peer-not-found');
  ca.send({
    type: 'browser-signal',
    linkId: got.linkId,
    data: { kind: 'description', description: { type: 'answer', sdp: 'v=0 agent answer' } },
  });
  const res = await pending;
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ linkId: got.linkId, sdp: 'v=0 agent answer' });
});

test('browser links need a console session with the CSRF header: not the Bearer token, not anonymous', async () => {
  const a = await joinNode(server, key, 'a', generateNodeKey());
  clients.push((await connectNode(server, a)).client);
  expect((await offer(a.join.nodeId, {})).status).toBe(401);
  expect((await offer(a.join.nodeId, { authorization: 'Bearer test-admin-token' })).status).toBe(403);
  expect((await offer(a.join.nodeId, { cookie: await session() })).status).toBe(403);
});

test('an offline agent is refused at once; an agent that refuses answers with a reason', async () => {
  const a = await joinNode(server, key, 'a', generateNodeKey());
  const cookie = await session();
  const offline = await offer(a.join.nodeId, { cookie, 'x-rtcmesh-csrf': '1' });
  expect(offline.status).toBe(409);
  const ca = (await connectNode(server, a)).client;
  clients.push(ca);
  const pending = offer(a.join.nodeId, { cookie, 'x-rtcmesh-csrf': '1' });
  const got = await ca.next('browser-signal');
  ca.send({
    type: 'browser-signal',
    linkId: got.linkId,
    data: { kind: 'bye', reason: 'too many browser links' },
  });
  const res = await pending;
  expect(res.status).toBe(503);
  expect(JSON.stringify(await res.json())).toContain('too many browser links');
});
