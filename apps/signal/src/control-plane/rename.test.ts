import type { CreateKeyResponse, NetworkSummary, NodeSummary } from '@rtcmesh/protocol';
import { expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import { adminFetch, connectNode, joinNode } from '../testing/test-client.js';
import { useTestServer } from '../testing/use-test-server.js';

let server: SignalServer;
const clients = useTestServer((s) => {
  server = s;
});

test('a node renamed: peers and the node itself hear it at once; a name or DNS label in use is refused', async () => {
  await adminFetch<NetworkSummary>(server, 'POST', '/api/v1/networks', {
    name: 'lab',
    mode: 'l3',
    cidr: '10.99.0.0/24',
  });
  const key = await adminFetch<CreateKeyResponse>(server, 'POST', '/api/v1/keys', {
    network: 'lab',
    reusable: true,
  });
  const web = await joinNode(server, key.body.key, 'web');
  const db = await joinNode(server, key.body.key, 'db');
  const w = await connectNode(server, web);
  const d = await connectNode(server, db);
  clients.push(w.client, d.client);

  const renamed = await adminFetch<NodeSummary>(server, 'PUT', '/api/v1/nodes/web/name?network=lab', {
    name: 'web-eu',
  });
  expect(renamed.status).toBe(200);
  expect(renamed.body).toMatchObject({ nodeId: web.join.nodeId, name: 'web-eu' });
  const seen = await d.client.next('peer-updated', (m) => m.peer.nodeId === web.join.nodeId);
  expect(seen.peer.name).toBe('web-eu');
  const own = await w.client.next('config', (m) => m.self !== undefined);
  expect(own.self?.name).toBe('web-eu');

  for (const [name, why] of [
    ['db', /already has a node named db/],
    ['DB', /would answer as db\.lab/],
  ] as const) {
    const r = await adminFetch<{ error: { code: string; message: string } }>(
      server,
      'PUT',
      `/api/v1/nodes/${web.join.nodeId}/name`,
      { name },
    );
    expect(r.status).toBe(409);
    expect(r.body.error.message).toMatch(why);
  }
  const bad = await adminFetch(server, 'PUT', `/api/v1/nodes/${web.join.nodeId}/name`, { name: '-x y' });
  expect(bad.status).toBe(400);
});
