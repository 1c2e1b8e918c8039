import type { PeerInfo } from '@rtcmesh/protocol';
import pino from 'pino';
import { expect, test } from 'vitest';
import { PeerRoutes, type RefusedRoute, type RouteDevice } from './peer-routes.js';

function peer(nodeId: string, prefixes: string[]): PeerInfo {
  return {
    nodeId,
    name: nodeId,
    publicKey: 'k',
    addresses: [],
    online: true,
    routes: prefixes.map((prefix) => ({ prefix, seq: 1 })),
    bindings: [],
  } as unknown as PeerInfo;
}

class FakeDevice implements RouteDevice {
  readonly routes = new Set<string>();
  readonly log: string[] = [];
  async addRoute(prefix: string): Promise<void> {
    this.log.push(`+${prefix}`);
    await new Promise((r) => setTimeout(r, 1));
    this.routes.add(prefix);
  }
  async removeRoute(prefix: string): Promise<void> {
    this.log.push(`-${prefix}`);
    await new Promise((r) => setTimeout(r, 1));
    this.routes.delete(prefix);
  }
}

function routes(acceptRoutes: boolean, refused: RefusedRoute[] = []) {
  return new PeerRoutes({
    acceptRoutes,
    networkCidr: '10.99.0.0/24',
    ownRoutes: ['192.168.50.0/24'],
    overlayDevice: 'rtm0',
    serverUrls: () => ['http://198.51.100.7:8080', 'turn:203.0.113.9:3478'],
    logger: pino({ level: 'silent' }),
    onRefused: (r) => refused.push(r),
  });
}

test('a hostile peer’s routes never reach the kernel or the forwarder; the sound ones do', async () => {
  const refused: RefusedRoute[] = [];
  const r = routes(true, refused);
  const dev = new FakeDevice();
  const good = peer('good', ['172.16.5.0/24', '10.99.0.9/32', '192.168.50.0/24']);
  const bad = peer('bad', ['128.0.0.0/1', '127.0.0.0/8', '198.51.100.0/24', '203.0.113.9/32']);
  await r.sync(() => [good, bad], dev);
  expect([...dev.routes].sort()).toEqual(['10.99.0.9/32', '172.16.5.0/24']);
  expect(r.filter(bad).routes).toEqual([]);
  expect(r.filter(good).routes.map((x) => x.prefix)).toContain('172.16.5.0/24');
  expect(
    r
      .status()
      .refused.map((x) => x.prefix)
      .sort(),
  ).toEqual(['127.0.0.0/8', '128.0.0.0/1', '198.51.100.0/24', '203.0.113.9/32']);
  // One event per refusal, not one per sync.
  await r.sync(() => [good, bad], dev);
  expect(refused).toHaveLength(4);
});

test('without --accept-routes only the network’s own addresses are routed, and nothing is an event', async () => {
  const refused: RefusedRoute[] = [];
  const r = routes(false, refused);
  const dev = new FakeDevice();
  await r.sync(() => [peer('p', ['172.16.5.0/24', '10.99.0.9/32'])], dev);
  expect([...dev.routes]).toEqual(['10.99.0.9/32']);
  expect(r.status().refused).toMatchObject([{ prefix: '172.16.5.0/24', kind: 'not-accepted' }]);
  expect(refused).toEqual([]);
});

test('syncs run one after another: a route withdrawn during a sync is not left behind', async () => {
  const r = routes(true);
  const dev = new FakeDevice();
  let current = [peer('p', ['172.16.5.0/24', '172.16.6.0/24'])];
  const first = r.sync(() => current, dev);
  current = [peer('p', [])];
  const second = r.sync(() => current, dev);
  await Promise.all([first, second]);
  expect([...dev.routes]).toEqual([]);
  expect(r.status().installed).toEqual([]);
});

test('an exit route is taken only from the node chosen with --exit-node, and never into the main table', async () => {
  const make = (exitNode?: string) =>
    new PeerRoutes({
      acceptRoutes: true,
      networkCidr: '10.99.0.0/24',
      ownRoutes: [],
      overlayDevice: 'rtm0',
      serverUrls: () => [],
      logger: pino({ level: 'silent' }),
      exitNode,
    });
  const exit = peer('exit-1', ['0.0.0.0/0', '::/0']);
  const other = peer('laptop', ['0.0.0.0/0']);
  // Without --exit-node (even with --accept-routes): offered, not taken.
  const plain = make();
  expect(plain.filter(exit).routes).toEqual([]);
  expect(plain.exitPeer([exit, other])).toBeUndefined();
  // With it: the chosen node's IPv4 exit route only, for the forwarder; the kernel gets it elsewhere.
  const client = make('exit-1');
  expect(client.filter(exit).routes.map((r) => r.prefix)).toEqual(['0.0.0.0/0']);
  expect(client.filter(other).routes).toEqual([]);
  expect(client.exitPeer([other, exit])?.nodeId).toBe('exit-1');
  expect(client.wanted([exit, other])).toEqual([]);
  const device = new FakeDevice();
  await client.sync(() => [exit, other], device);
  expect(device.log).toEqual([]);
  expect(client.status().refused.map((r) => `${r.peerName} ${r.prefix} ${r.kind}`)).toEqual([
    'exit-1 ::/0 not-accepted',
    'laptop 0.0.0.0/0 not-accepted',
  ]);
});
