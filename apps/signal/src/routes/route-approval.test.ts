import { join } from 'node:path';
import type { RouteInfo, RouteListResponse } from '@rtcmesh/protocol';
import Database from 'better-sqlite3';
import { expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import { MIGRATIONS } from '../store/migrations.js';
import { openDatabase } from '../store/sqlite.js';
import {
  adminFetch,
  connectKept,
  createNetworkWithKey,
  joinNode,
  type TestNode,
  tempDir,
} from '../testing/test-client.js';
import { useTestServer } from '../testing/use-test-server.js';

let server: SignalServer;
const clients = useTestServer((s) => {
  server = s;
});

const connect = (node: TestNode) => connectKept(server, node, clients);

const routes = (net: string) =>
  adminFetch<RouteListResponse>(server, 'GET', `/api/v1/networks/${net}/routes`);
const decide = (net: string, body: Record<string, string>) =>
  adminFetch<RouteInfo & { error?: { message: string } }>(
    server,
    'PUT',
    `/api/v1/networks/${net}/routes`,
    body,
  );

test('an advertised route stays pending and unseen until an admin approves it; a rejection withdraws it', async () => {
  const { key } = await createNetworkWithKey(server, 'lab', { cidr: '10.99.0.0/24' });
  const router = await joinNode(server, key, 'router');
  const peer = await joinNode(server, key, 'peer');
  const r = await connect(router);
  const p = await connect(peer);
  const own = `${router.join.addresses[0]!.split('/')[0]}/32`;
  r.client.send({
    type: 'advertise',
    routes: [
      { prefix: '172.16.5.0/24', seq: 1 },
      { prefix: own, seq: 1 },
    ],
  });
  // The peer hears of the router's own /32 only.
  const first = await p.client.next('peer-updated', (m) => m.peer.nodeId === router.join.nodeId);
  expect(first.peer.routes.map((x) => x.prefix)).toEqual([own]);
  expect((await routes('lab')).body.routes).toEqual([
    { nodeId: router.join.nodeId, node: 'router', prefix: '172.16.5.0/24', state: 'pending' },
    { nodeId: router.join.nodeId, node: 'router', prefix: own, state: 'approved' },
  ]);
  // A new member's welcome does not carry it either.
  const late = await connect(await joinNode(server, key, 'late'));
  expect(
    late.welcome.peers.find((x) => x.nodeId === router.join.nodeId)?.routes.map((x) => x.prefix),
  ).toEqual([own]);

  const ok = await decide('lab', { node: 'router', prefix: '172.16.5.0/24', state: 'approved' });
  expect(ok.body).toMatchObject({ prefix: '172.16.5.0/24', state: 'approved' });
  const approved = await p.client.next('peer-updated', (m) => m.peer.routes.length === 2);
  expect(approved.peer.routes.map((x) => x.prefix).sort()).toEqual(['172.16.5.0/24', own].sort());

  expect((await decide('lab', { node: 'router', prefix: '172.16.5.0/24', state: 'rejected' })).status).toBe(
    200,
  );
  const withdrawn = await p.client.next('peer-updated', (m) => m.peer.routes.length === 1);
  expect(withdrawn.peer.routes.map((x) => x.prefix)).toEqual([own]);
  // Advertised again later: still rejected.
  r.client.send({ type: 'advertise', routes: [{ prefix: '172.16.5.0/24', seq: 2 }] });
  await p.client.next(
    'peer-updated',
    (m) => m.peer.nodeId === router.join.nodeId && m.peer.routes.length === 0,
  );
  expect((await routes('lab')).body.routes[0]).toMatchObject({ prefix: '172.16.5.0/24', state: 'rejected' });
});

test('a workload host route inside an approved mobility prefix is approved with it; an admin can still reject one host', async () => {
  const { key } = await createNetworkWithKey(server, 'mob', { cidr: '10.99.0.0/24' });
  const site = await joinNode(server, key, 'site-a');
  const peer = await joinNode(server, key, 'peer');
  const s = await connect(site);
  const p = await connect(peer);
  const advertise = (seq: number, hosts: string[]) =>
    s.client.send({
      type: 'advertise',
      routes: [{ prefix: '10.50.0.0/24', seq: 1 }, ...hosts.map((h) => ({ prefix: `${h}/32`, seq }))],
    });
  advertise(1, ['10.50.0.5', '10.60.0.5']);
  await p.client.next('peer-updated', (m) => m.peer.nodeId === site.join.nodeId);
  // Before the prefix is approved, none of it is distributed.
  expect((await routes('mob')).body.routes.map((r) => [r.prefix, r.state])).toEqual([
    ['10.50.0.0/24', 'pending'],
    ['10.50.0.5/32', 'pending'],
    ['10.60.0.5/32', 'pending'],
  ]);
  await decide('mob', { node: 'site-a', prefix: '10.50.0.0/24', state: 'approved' });
  const approved = await p.client.next('peer-updated', (m) => m.peer.routes.length === 2);
  // The host inside the approved prefix goes with it; the one outside it waits for an admin.
  expect(approved.peer.routes.map((r) => r.prefix).sort()).toEqual(['10.50.0.0/24', '10.50.0.5/32']);
  expect((await routes('mob')).body.routes.find((r) => r.prefix === '10.50.0.5/32')).toMatchObject({
    state: 'approved',
    auto: true,
    within: '10.50.0.0/24',
  });
  // A host that appears later needs nobody: distributed with its seq at once.
  advertise(4, ['10.50.0.5', '10.50.0.6']);
  const later = await p.client.next('peer-updated', (m) => m.peer.routes.length === 3);
  expect(later.peer.routes.find((r) => r.prefix === '10.50.0.6/32')?.seq).toBe(4);
  await decide('mob', { node: 'site-a', prefix: '10.50.0.6/32', state: 'rejected' });
  const rejected = await p.client.next('peer-updated', (m) => m.peer.routes.length === 2);
  expect(rejected.peer.routes.map((r) => r.prefix)).not.toContain('10.50.0.6/32');
});

test('an exit node’s default route waits for approval like any other (it overlaps the network, it is not inside it)', async () => {
  const { key } = await createNetworkWithKey(server, 'lab', { cidr: '10.99.0.0/24' });
  const exit = await joinNode(server, key, 'exit');
  const peer = await connect(await joinNode(server, key, 'peer'));
  const e = await connect(exit);
  e.client.send({ type: 'advertise', routes: [{ prefix: '0.0.0.0/0', seq: 1 }] });
  await expect
    .poll(async () => (await routes('lab')).body.routes)
    .toEqual([{ nodeId: exit.join.nodeId, node: 'exit', prefix: '0.0.0.0/0', state: 'pending' }]);
  expect((await decide('lab', { node: 'exit', prefix: '0.0.0.0/0', state: 'approved' })).status).toBe(200);
  const approved = await peer.client.next('peer-updated', (m) => m.peer.routes.length === 1);
  expect(approved.peer.routes).toEqual([{ prefix: '0.0.0.0/0', seq: 1 }]);
});

test('autoApprovers approve what they cover for the nodes they select, also after a policy change', async () => {
  const { key } = await createNetworkWithKey(server, 'auto', { cidr: '10.99.0.0/24' });
  const router = await joinNode(server, key, 'router');
  const other = await joinNode(server, key, 'other');
  expect(
    (await adminFetch(server, 'PUT', `/api/v1/nodes/${router.join.nodeId}/tags`, { tags: ['tag:router'] }))
      .status,
  ).toBe(200);
  const policy = {
    version: 0,
    autoApprovers: { routes: { '172.16.0.0/12': ['tag:router'] } },
  };
  expect((await adminFetch(server, 'PUT', '/api/v1/networks/auto/policy', policy)).status).toBe(200);
  const r = await connect(router);
  const o = await connect(other);
  r.client.send({
    type: 'advertise',
    routes: [
      { prefix: '172.16.5.0/24', seq: 1 },
      { prefix: '192.168.7.0/24', seq: 1 },
    ],
  });
  o.client.send({ type: 'advertise', routes: [{ prefix: '172.17.0.0/16', seq: 1 }] });
  await r.client.next('peer-updated', (m) => m.peer.nodeId === other.join.nodeId);
  const list = (await routes('auto')).body.routes;
  expect(list).toContainEqual({
    nodeId: router.join.nodeId,
    node: 'router',
    prefix: '172.16.5.0/24',
    state: 'approved',
    auto: true,
  });
  expect(list).toContainEqual({
    nodeId: router.join.nodeId,
    node: 'router',
    prefix: '192.168.7.0/24',
    state: 'pending',
  });
  expect(list).toContainEqual({
    nodeId: other.join.nodeId,
    node: 'other',
    prefix: '172.17.0.0/16',
    state: 'pending',
  });

  // The policy now names `other` too: its waiting route is approved without an admin.
  const v2 = { version: 1, autoApprovers: { routes: { '172.16.0.0/12': ['tag:router', 'other'] } } };
  expect((await adminFetch(server, 'PUT', '/api/v1/networks/auto/policy', v2)).status).toBe(200);
  const update = await r.client.next(
    'peer-updated',
    (m) => m.peer.nodeId === other.join.nodeId && m.peer.routes.length > 0,
  );
  expect(update.peer.routes.map((x) => x.prefix)).toEqual(['172.17.0.0/16']);
});

test('approving what a node does not advertise, or its own address, is refused clearly', async () => {
  const { key } = await createNetworkWithKey(server, 'bad', { cidr: '10.99.0.0/24' });
  const n = await joinNode(server, key, 'n1');
  const c = await connect(n);
  const own = `${n.join.addresses[0]!.split('/')[0]}/32`;
  c.client.send({ type: 'advertise', routes: [{ prefix: own, seq: 1 }] });
  await expect.poll(async () => (await routes('bad')).body.routes.length).toBe(1);
  const missing = await decide('bad', { node: 'n1', prefix: '10.5.0.0/16', state: 'approved' });
  expect(missing.status).toBe(404);
  expect(missing.body.error?.message).toMatch(/n1 does not advertise 10.5.0.0\/16/);
  const ownAddr = await decide('bad', { node: 'n1', prefix: own, state: 'rejected' });
  expect(ownAddr.status).toBe(400);
  expect((await decide('bad', { node: 'nobody', prefix: '10.5.0.0/16', state: 'approved' })).status).toBe(
    404,
  );
});

test('an upgraded database keeps the routes members used: approved by the migration', () => {
  const d = tempDir();
  try {
    const old = new Database(join(d.path, 'signal.db'));
    for (const sql of MIGRATIONS.slice(0, 4)) old.exec(sql);
    old.pragma('user_version = 4');
    old.exec(
      "INSERT INTO networks (id, name, mode, cidr, mtu, created_at) VALUES ('net-1', 'old', 'l3', '10.9.0.0/24', 1280, 1)",
    );
    const insert = old.prepare(
      "INSERT INTO nodes (id, network_id, name, public_key, mac, created_at, routes) VALUES (?, 'net-1', ?, ?, ?, 1, ?)",
    );
    insert.run(
      'n-1',
      'router',
      'pk1',
      '02:00:00:00:00:01',
      JSON.stringify([{ prefix: '172.16.5.0/24', seq: 1 }]),
    );
    insert.run('n-2', 'plain', 'pk2', '02:00:00:00:00:02', '[]');
    old.close();
    const db = openDatabase(d.path);
    const rows = db.prepare('SELECT id, route_decisions FROM nodes ORDER BY id').all();
    expect(rows).toEqual([
      { id: 'n-1', route_decisions: '{"172.16.5.0/24":"approved"}' },
      { id: 'n-2', route_decisions: '{}' },
    ]);
    db.close();
  } finally {
    d.remove();
  }
});
