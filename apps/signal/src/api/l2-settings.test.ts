import type { NetworkSummary } from '@rtcmesh/protocol';
import { expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import { adminFetch, connectNode, createNetworkWithKey, joinNode } from '../testing/test-client.js';
import { useTestServer } from '../testing/use-test-server.js';

let server: SignalServer;
const clients = useTestServer((s) => {
  server = s;
});

test('an admin sets an L2 network’s storm control and DHCP filter; connected members get it at once', async () => {
  const { network: net, key } = await createNetworkWithKey(server, 'site-l2', { mode: 'l2' });
  const a = await joinNode(server, key, 'a');
  const { client } = await connectNode(server, a);
  clients.push(client);
  const r = await adminFetch<NetworkSummary>(server, 'PUT', `/api/v1/networks/${net.id}/l2`, {
    stormPps: 200,
    blockDhcp: true,
  });
  expect(r.status).toBe(200);
  // What is not named keeps its default.
  expect(r.body.l2).toEqual({ stormPps: 200, stormBurst: 2000, blockDhcp: true });
  expect((await client.next('config')).network?.l2).toEqual({
    stormPps: 200,
    stormBurst: 2000,
    blockDhcp: true,
  });
  // A member that connects later gets it in its welcome; the setting survives in the database.
  const b = await joinNode(server, key, 'b');
  const cb = await connectNode(server, b);
  clients.push(cb.client);
  expect(cb.welcome.network.l2).toEqual({ stormPps: 200, stormBurst: 2000, blockDhcp: true });
  const off = await adminFetch<NetworkSummary>(server, 'PUT', `/api/v1/networks/${net.id}/l2`, {
    stormPps: 0,
  });
  expect(off.body.l2).toEqual({ stormPps: 0, stormBurst: 2000, blockDhcp: true });
});

test('bad or pointless L2 settings are refused with why', async () => {
  const l2 = await createNetworkWithKey(server, 'site-l2', { mode: 'l2' });
  const l3 = await createNetworkWithKey(server, 'site-l3', { mode: 'l3' });
  const put = (id: string, body: unknown) =>
    adminFetch<{ error: { message: string } }>(server, 'PUT', `/api/v1/networks/${id}/l2`, body);
  expect((await put(l2.network.id, {})).status).toBe(400);
  expect((await put(l2.network.id, { stormPps: -1 })).status).toBe(400);
  expect((await put(l2.network.id, { stormPps: 10, bogus: true })).status).toBe(400);
  const onL3 = await put(l3.network.id, { blockDhcp: true });
  expect(onL3.status).toBe(409);
  expect(onL3.body.error.message).toMatch(/is L3/);
});
