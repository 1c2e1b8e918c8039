import type { NetworkSummary } from '@rtcmesh/protocol';
import { expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import { adminFetch, connectNode, createNetworkWithKey, joinNode } from '../testing/test-client.js';
import { useTestServer } from '../testing/use-test-server.js';

let server: SignalServer;
const clients = useTestServer((s) => {
  server = s;
});

test('a network with nodes is deleted only with force: its nodes are told and their keys revoked; the name is free again', async () => {
  const key = (await createNetworkWithKey(server, 'branch', { cidr: '10.99.0.0/24' })).key;
  await createNetworkWithKey(server, 'other', { cidr: '10.99.0.0/24' });
  const node = await joinNode(server, key, 'gw');
  const c = await connectNode(server, node);
  clients.push(c.client);

  const refused = await adminFetch<{ error: { message: string } }>(
    server,
    'DELETE',
    '/api/v1/networks/branch',
  );
  expect(refused.status).toBe(409);
  expect(refused.body.error.message).toMatch(/has 1 node \(gw\).*--force/);

  const removed = c.client.next('bye', undefined, 5000);
  const deleted = await adminFetch<NetworkSummary>(server, 'DELETE', '/api/v1/networks/branch?force=true');
  expect(deleted.status).toBe(200);
  expect(deleted.body).toMatchObject({ name: 'branch', nodeCount: 1 });
  await removed;

  const list = await adminFetch<{ networks: NetworkSummary[] }>(server, 'GET', '/api/v1/networks');
  expect(list.body.networks.map((n) => n.name)).toEqual(['other']);
  expect((await adminFetch(server, 'GET', '/api/v1/networks/branch')).status).toBe(404);
  // Its join key went with it, and the removed node's key cannot join elsewhere.
  await createNetworkWithKey(server, 'branch', { cidr: '10.99.0.0/24' });
  await expect(joinNode(server, key, 'late')).rejects.toThrow();

  // An empty network needs no force.
  expect((await adminFetch(server, 'DELETE', '/api/v1/networks/other')).status).toBe(200);
});
