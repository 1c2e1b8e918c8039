import {
  CloseCode,
  type CreateKeyResponse,
  ErrorCode,
  type NetworkSummary,
  signJoinRequest,
} from '@rtcmesh/protocol';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { SignalServer } from './server.js';
import {
  adminFetch,
  authenticate,
  connectKept,
  joinNode,
  startTestServer,
  TestClient,
  type TestNode,
  tempDir,
} from './testing/test-client.js';

let dir: ReturnType<typeof tempDir>;
let server: SignalServer;
const clients: TestClient[] = [];

async function setupNetwork(
  name: string,
  mode: 'l2' | 'l3',
  cidr?: string,
): Promise<{ network: NetworkSummary; key: string }> {
  const net = await adminFetch<NetworkSummary>(server, 'POST', '/api/v1/networks', { name, mode, cidr });
  expect(net.status).toBe(201);
  const key = await adminFetch<CreateKeyResponse>(server, 'POST', '/api/v1/keys', {
    network: name,
    reusable: true,
  });
  return { network: net.body, key: key.body.key };
}

const connect = (node: TestNode) => connectKept(server, node, clients);

beforeEach(async () => {
  dir = tempDir();
  server = await startTestServer(dir.path, {
    stun: ['stun:127.0.0.1:3478'],
    turn: ['turn:127.0.0.1:3478?transport=udp'],
    turnSecret: 's3cret',
  });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.close();
  dir.remove();
});

describe('mesh over the real server', () => {
  test('two nodes join, see each other, exchange offers; a third network sees nothing', async () => {
    const a = await setupNetwork('alpha', 'l2');
    const b = await setupNetwork('beta', 'l3', '10.50.0.0/16');
    const n1 = await joinNode(server, a.key, 'one');
    const n2 = await joinNode(server, a.key, 'two');
    const n3 = await joinNode(server, b.key, 'three');
    expect(n1.join.addresses).toEqual(['10.99.0.1/24']);
    expect(n2.join.addresses).toEqual(['10.99.0.2/24']);
    // L3 networks are dual-stack by default: the IPv6 address carries the IPv4 host number.
    expect(n3.join.addresses).toEqual(['10.50.0.1/16', expect.stringMatching(/^fd[0-9a-f:]+::1\/64$/)]);
    expect(b.network.cidr6).toMatch(/^fd[0-9a-f:]+::\/64$/);
    expect(n1.join.mac).toMatch(/^02:/);

    const c1 = await connect(n1);
    expect(c1.welcome.self).toEqual({
      nodeId: n1.join.nodeId,
      name: 'one',
      addresses: ['10.99.0.1/24'],
      mac: n1.join.mac,
    });
    expect(c1.welcome.network).toMatchObject({ name: 'alpha', mode: 'l2', cidr: '10.99.0.0/24', mtu: 1280 });
    expect(c1.welcome.peers.map((p) => [p.nodeId, p.online])).toEqual([[n2.join.nodeId, false]]);
    // STUN as given, TURN with a credential minted for this node.
    expect(c1.welcome.iceServers[0]).toEqual({ urls: ['stun:127.0.0.1:3478'] });
    expect(c1.welcome.iceServers[1]?.username).toMatch(new RegExp(`^\\d+:${n1.join.nodeId}$`));
    expect(c1.welcome.iceServersExpireAt).toBeGreaterThan(Date.now());

    const c2 = await connect(n2);
    expect(c2.welcome.peers).toMatchObject([
      { nodeId: n1.join.nodeId, online: true, publicKey: n1.key.publicKey, mac: n1.join.mac },
    ]);
    const joined = await c1.client.next('peer-joined');
    expect(joined.peer).toMatchObject({
      nodeId: n2.join.nodeId,
      name: 'two',
      online: true,
      addresses: ['10.99.0.2/24'],
    });

    const c3 = await connect(n3);
    expect(c3.welcome.peers).toEqual([]);
    expect(c3.welcome.network.mode).toBe('l3');

    // Offer/answer/candidate relay; `from` is stamped by the server even if the client lies.
    const offer = {
      kind: 'description',
      gen: 'g1',
      description: { type: 'offer', sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n' },
    };
    c1.client.send({ type: 'signal', to: n2.join.nodeId, from: n3.join.nodeId, data: offer });
    const got = await c2.client.next('signal');
    expect(got).toEqual({ type: 'signal', from: n1.join.nodeId, data: offer });
    const answer = { kind: 'description', gen: 'g1', description: { type: 'answer', sdp: 'v=0\r\n' } };
    c2.client.send({ type: 'signal', to: n1.join.nodeId, data: answer });
    expect((await c1.client.next('signal')).data).toEqual(answer);
    c2.client.send({
      type: 'signal',
      to: n1.join.nodeId,
      data: {
        kind: 'candidate',
        candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0' },
      },
    });
    expect((await c1.client.next('signal')).data.kind).toBe('candidate');

    // Across networks: indistinguishable from a node that does not exist.
    c3.client.send({ type: 'signal', id: 'x1', to: n1.join.nodeId, data: offer });
    expect(await c3.client.next('error')).toMatchObject({ code: ErrorCode.PeerNotFound, ref: 'x1' });
    c1.client.send({ type: 'signal', id: 'x2', to: n3.join.nodeId, data: offer });
    expect(await c1.client.next('error')).toMatchObject({ code: ErrorCode.PeerNotFound, ref: 'x2' });
    // The third node saw nothing of alpha.
    expect(c3.client.received.map((m) => m.type)).toEqual(['challenge', 'welcome', 'error']);
    expect(c1.client.all('peer-joined').map((m) => m.peer.nodeId)).toEqual([n2.join.nodeId]);

    // Leaving is seen within a second, and relaying to an offline peer says so.
    c2.client.close();
    const left = await c1.client.next('peer-left', undefined, 1000);
    expect(left.nodeId).toBe(n2.join.nodeId);
    c1.client.send({ type: 'signal', to: n2.join.nodeId, data: offer });
    expect((await c1.client.next('error')).code).toBe(ErrorCode.PeerOffline);
  });

  test('dual stack: each L3 node gets the IPv6 address with its IPv4 host number; its own /128 needs no approval, the prefix is closed to routes', async () => {
    const net = await adminFetch<NetworkSummary>(server, 'POST', '/api/v1/networks', {
      name: 'gamma',
      mode: 'l3',
      cidr: '10.60.0.0/24',
      ipv6: 'fd7a:115c:a1e0::/64',
    });
    expect(net.body.cidr6).toBe('fd7a:115c:a1e0::/64');
    const key = await adminFetch<CreateKeyResponse>(server, 'POST', '/api/v1/keys', {
      network: 'gamma',
      reusable: true,
    });
    const n1 = await joinNode(server, key.body.key, 'one');
    const n2 = await joinNode(server, key.body.key, 'two');
    expect(n2.join.addresses).toEqual(['10.60.0.2/24', 'fd7a:115c:a1e0::2/64']);
    const c1 = await connect(n1);
    expect(c1.welcome.network.cidr6).toBe('fd7a:115c:a1e0::/64');
    expect(c1.welcome.self.addresses).toEqual(['10.60.0.1/24', 'fd7a:115c:a1e0::1/64']);
    const c2 = await connect(n2);
    expect(c2.welcome.peers[0]?.addresses).toEqual(['10.60.0.1/24', 'fd7a:115c:a1e0::1/64']);
    // A route into the overlay's IPv6 prefix is refused like one into its IPv4 range.
    c1.client.send({ type: 'advertise', routes: [{ prefix: 'fd7a:115c:a1e0::/96', seq: 1 }] });
    const refused = await c1.client.next('error');
    expect(refused.message).toMatch(/overlaps the network fd7a:115c:a1e0::\/64/);

    // Off, an explicit bad prefix, and a prefix on an L2 network are said plainly.
    const off = await adminFetch<NetworkSummary>(server, 'POST', '/api/v1/networks', {
      name: 'v4only',
      mode: 'l3',
      ipv6: 'off',
    });
    expect(off.body.cidr6).toBeUndefined();
    for (const [body, why] of [
      [{ name: 'bad1', mode: 'l3', ipv6: 'fe80::/64' }, /linkLocal/],
      [{ name: 'bad2', mode: 'l3', cidr: '10.0.0.0/16', ipv6: 'fd00::/120' }, /fewer than the 16/],
      [{ name: 'bad3', mode: 'l2', ipv6: 'fd00::/64' }, /for L3 networks/],
    ] as const) {
      const r = await adminFetch<{ error: { message: string } }>(server, 'POST', '/api/v1/networks', body);
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(why);
    }
    const l2 = await adminFetch<NetworkSummary>(server, 'POST', '/api/v1/networks', {
      name: 'seg',
      mode: 'l2',
    });
    expect(l2.body.cidr6).toBeUndefined();
  });

  test('restart with the same data dir: both nodes re-authenticate with the same ids and addresses', async () => {
    const a = await setupNetwork('alpha', 'l3');
    const n1 = await joinNode(server, a.key, 'one');
    const n2 = await joinNode(server, a.key, 'two');
    const c1 = await connect(n1);
    c1.client.send({ type: 'advertise', routes: [{ prefix: '192.168.7.0/24', seq: 1 }] });
    const c2 = await connect(n2);
    // An approved route survives the restart with its approval.
    await expect
      .poll(
        async () =>
          (
            await adminFetch(server, 'PUT', '/api/v1/networks/alpha/routes', {
              node: 'one',
              prefix: '192.168.7.0/24',
              state: 'approved',
            })
          ).status,
      )
      .toBe(200);
    await c2.client.next('peer-updated', (m) => m.peer.routes.length === 1);
    const before = c1.welcome;

    const closing = c1.client.closed;
    await server.close();
    // Sessions are told why before the socket closes: go to another instance now.
    expect((await closing).code).toBe(CloseCode.ReconnectElsewhere);
    expect(c1.client.all('bye')).toEqual([
      {
        type: 'bye',
        reason: 'reconnect-elsewhere',
        message: 'this server instance is shutting down; connect to another one',
      },
    ]);

    server = await startTestServer(dir.path);
    const r1 = await connect(n1);
    const r2 = await connect(n2);
    expect(r1.welcome.self).toEqual(before.self);
    expect(r1.welcome.network).toEqual(before.network);
    // Both addresses survive: the IPv6 one follows the IPv4 lease.
    expect(r2.welcome.self.addresses).toEqual([
      '10.99.0.2/24',
      expect.stringMatching(/^fd[0-9a-f:]+::2\/64$/),
    ]);
    expect(r2.welcome.peers).toMatchObject([
      { nodeId: n1.join.nodeId, online: true, routes: [{ prefix: '192.168.7.0/24', seq: 1 }] },
    ]);
    // Joining again with the same node key returns the same node (a retried join), not a new one.
    expect((await joinNode(server, a.key, 'one', n1.key)).join.nodeId).toBe(n1.join.nodeId);
  });

  test('advertisements are validated, stored and pushed to peers', async () => {
    const a = await setupNetwork('alpha', 'l2');
    const n1 = await joinNode(server, a.key, 'one');
    const n2 = await joinNode(server, a.key, 'two');
    const c1 = await connect(n1);
    const c2 = await connect(n2);
    c1.client.send({
      type: 'advertise',
      bindings: [{ mac: '02:AA:bb:cc:dd:ee', ips: ['10.99.0.1', '192.168.1.5'], seq: 3 }],
    });
    const upd = await c2.client.next('peer-updated');
    expect(upd.peer.bindings).toEqual([
      { mac: '02:aa:bb:cc:dd:ee', ips: ['10.99.0.1', '192.168.1.5'], seq: 3 },
    ]);

    c1.client.send({ type: 'advertise', id: 'r1', routes: [{ prefix: '10.99.0.2/32', seq: 1 }] });
    expect(await c1.client.next('error')).toMatchObject({ code: ErrorCode.InvalidAdvertisement, ref: 'r1' });
    c1.client.send({
      type: 'advertise',
      id: 'r2',
      routes: Array.from({ length: 300 }, (_, i) => ({ prefix: `172.16.${i % 256}.0/24`, seq: i })),
    });
    expect(await c1.client.next('error')).toMatchObject({ code: ErrorCode.InvalidMessage, ref: 'r2' });
  });

  test('removing a node closes its session, tells peers, bans its key and frees its address', async () => {
    const a = await setupNetwork('alpha', 'l2');
    const n1 = await joinNode(server, a.key, 'one');
    const n2 = await joinNode(server, a.key, 'two');
    const c1 = await connect(n1);
    const c2 = await connect(n2);
    const res = await adminFetch(server, 'DELETE', `/api/v1/nodes/${n2.join.nodeId}`);
    expect(res.status).toBe(200);
    expect((await c2.client.closed).code).toBe(CloseCode.NodeRemoved);
    expect(c2.client.all('bye')[0]?.reason).toBe('node-removed');
    expect((await c1.client.next('peer-removed')).nodeId).toBe(n2.join.nodeId);
    // No peer-left on top of peer-removed.
    expect(c1.client.all('peer-left')).toEqual([]);

    // The key can never authenticate again (the agent is told why, so it stops retrying), nor join again.
    const retry = await TestClient.connect(server.wsUrl);
    clients.push(retry);
    await authenticate(retry, n2.join.nodeId, n2.key.privateKey, { versions: [1] });
    expect((await retry.next('error')).code).toBe(ErrorCode.NodeRemoved);
    expect((await retry.closed).code).toBe(CloseCode.NodeRemoved);
    const rejoin = await fetch(`${server.url}/api/v1/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        signJoinRequest(n2.key.privateKey, { key: a.key, name: 'two', agentVersion: 'test' }),
      ),
    });
    expect(rejoin.status).toBe(403);
    expect(((await rejoin.json()) as { error: { code: string } }).error.code).toBe(
      ErrorCode.PublicKeyRejected,
    );
    // Its address is handed out again.
    expect((await joinNode(server, a.key, 'four')).join.addresses).toEqual(['10.99.0.2/24']);
  });

  test('a second session for the same node replaces the first', async () => {
    const a = await setupNetwork('alpha', 'l2');
    const n1 = await joinNode(server, a.key, 'one');
    const n2 = await joinNode(server, a.key, 'two');
    const watcher = await connect(n2);
    const first = await connect(n1);
    await watcher.client.next('peer-joined');
    const second = await connect(n1);
    expect((await first.client.closed).code).toBe(CloseCode.SessionReplaced);
    // The node stayed online throughout: no peer-left for the replaced session.
    second.client.send({ type: 'ping', ts: 5 });
    expect((await second.client.next('pong')).ts).toBe(5);
    expect(watcher.client.all('peer-left')).toEqual([]);
  });

  test('TURN credentials are re-minted before they expire and pushed as config; duplicate names get a suffix', async () => {
    await server.close();
    server = await startTestServer(dir.path, {
      turn: ['turn:127.0.0.1:3478'],
      turnSecret: 'k',
      turnTtlSeconds: 2,
    });
    const a = await setupNetwork('alpha', 'l2');
    const n1 = await joinNode(server, a.key, 'web');
    const n2 = await joinNode(server, a.key, 'web');
    expect(n2.join.name).toBe('web-2');
    // Names that would be one DNS label (web.<network>.<suffix>) are made unique too.
    expect((await joinNode(server, a.key, 'Web')).join.name).toBe('Web-3');
    expect((await joinNode(server, a.key, 'db.eu')).join.name).toBe('db.eu');
    expect((await joinNode(server, a.key, 'db_eu')).join.name).toBe('db_eu-2');
    const c1 = await connect(n1);
    const first = c1.welcome.iceServers[0]!;
    const cfg = await c1.client.next('config', undefined, 3000);
    expect(cfg.iceServers?.[0]?.urls).toEqual(['turn:127.0.0.1:3478']);
    expect(cfg.iceServersExpireAt).toBeGreaterThan(c1.welcome.iceServersExpireAt!);
    expect(cfg.iceServers?.[0]?.username).not.toBe(first.username);
  });

  test('keepalive drops a socket that stops answering, and peers learn it', async () => {
    await server.close();
    server = await startTestServer(dir.path, { heartbeatMs: 150 });
    const a = await setupNetwork('alpha', 'l2');
    const n1 = await joinNode(server, a.key, 'one');
    const n2 = await joinNode(server, a.key, 'two');
    const c1 = await connect(n1);
    const c2 = await connect(n2);
    // Stop reading: pings go unanswered, as with a host that vanished.
    (c2.client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    expect((await c1.client.next('peer-left', undefined, 2000)).nodeId).toBe(n2.join.nodeId);
  });
});
