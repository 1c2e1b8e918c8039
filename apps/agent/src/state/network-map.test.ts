import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerInfo, Welcome } from '@rtcmesh/protocol';
import { afterEach, describe, expect, test } from 'vitest';
import { type CachedMap, NetworkMap, NetworkMapStore, offlineWelcome, parseDuration } from './network-map.js';

const DAY = 86400_000;

function peer(id: string, over: Partial<PeerInfo> = {}): PeerInfo {
  return {
    nodeId: id,
    name: id,
    publicKey: Buffer.alloc(32, 1).toString('base64'),
    addresses: ['10.99.0.2/24'],
    mac: '02:00:00:00:00:02',
    online: true,
    lastSeen: 1_000,
    bindings: [],
    routes: [],
    ...over,
  };
}

function welcome(peers: PeerInfo[]): Welcome {
  return {
    type: 'welcome',
    version: 2,
    self: { nodeId: 'node-self', name: 'self', addresses: ['10.99.0.1/24'], mac: '02:00:00:00:00:01' },
    network: { id: 'net1', name: 'lab', mode: 'l3', cidr: '10.99.0.0/24', mtu: 1280 } as Welcome['network'],
    iceServers: [
      { urls: ['stun:192.0.2.1:3478'] },
      { urls: ['turn:192.0.2.1:3478?transport=udp'], username: 'u', credential: 'c' },
    ],
    peers,
    serverTime: 1_000,
    iceServersExpireAt: 10 * DAY,
  };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function store(): Promise<NetworkMapStore> {
  const dir = await mkdtemp(join(tmpdir(), 'rtm-map-'));
  dirs.push(dir);
  return new NetworkMapStore(join(dir, 'network-map.json'));
}

function cached(w: Welcome, confirmedAt: number): CachedMap {
  return { version: 1, savedAt: confirmedAt, confirmedAt, welcome: w };
}

describe('NetworkMap', () => {
  test('follows the server: joins, updates, departures and removals', () => {
    const map = new NetworkMap();
    map.applyWelcome(welcome([peer('node-a')]), 1);
    map.upsertPeer(peer('node-b'), 2);
    map.upsertPeer(peer('node-a', { name: 'a-renamed' }), 3);
    map.peerLeft('node-b', 2_500, 4);
    map.applyPolicy({ type: 'policy', policy: { version: 1, acls: [] } as never, signature: 'c2ln' }, 5);
    map.applyConfig({ type: 'config', iceServersExpireAt: 42 }, 6);
    expect(map.current?.peers.map((p) => [p.name, p.online])).toEqual([
      ['a-renamed', true],
      ['node-b', false],
    ]);
    expect(map.current?.policySignature).toBe('c2ln');
    expect(map.current?.iceServersExpireAt).toBe(42);
    expect(map.lastConfirmedAt).toBe(6);
    // A removed node is gone from the map at once.
    map.removePeer('node-a', 7);
    expect(map.current?.peers.map((p) => p.nodeId)).toEqual(['node-b']);
  });

  test('updates before the first welcome are ignored (nothing to apply them to)', () => {
    const map = new NetworkMap();
    map.upsertPeer(peer('node-a'), 1);
    expect(map.current).toBeUndefined();
  });
});

describe('NetworkMapStore', () => {
  test('saves mode 0600 and loads what it saved', async () => {
    const s = await store();
    await s.save(cached(welcome([peer('node-a')]), 1_000));
    expect((await stat(s.path)).mode & 0o777).toBe(0o600);
    const r = await s.load({ nodeId: 'node-self', networkId: 'net1' }, 7 * DAY, 2_000);
    expect(r.ok && r.map.welcome.peers[0]?.nodeId).toBe('node-a');
    expect(r.ok && r.ageMs).toBe(1_000);
  });

  test('refuses a map older than the maximum age, of another node or network, or damaged', async () => {
    const s = await store();
    await s.save(cached(welcome([]), 0));
    const old = await s.load({ nodeId: 'node-self' }, 7 * DAY, 8 * DAY);
    expect(old.ok ? '' : old.reason).toMatch(/8d old/);
    expect((await s.load({ nodeId: 'node-other' }, 7 * DAY, 1)).ok).toBe(false);
    expect((await s.load({ nodeId: 'node-self', networkId: 'net2' }, 7 * DAY, 1)).ok).toBe(false);
    await writeFile(s.path, '{"version":1,"welcome":{}}');
    const bad = await s.load({ nodeId: 'node-self' }, 7 * DAY, 1);
    expect(bad.ok ? '' : bad.reason).toMatch(/invalid/);
    await s.clear();
    const none = await s.load({ nodeId: 'node-self' }, 7 * DAY, 1);
    expect(none.ok === false && none.missing).toBe(true);
  });

  test('a save replaces the file whole (no partial map after a crash)', async () => {
    const s = await store();
    await s.save(cached(welcome([peer('node-a')]), 1));
    await s.save(cached(welcome([peer('node-a'), peer('node-b')]), 2));
    const text = await readFile(s.path, 'utf8');
    expect((JSON.parse(text) as CachedMap).welcome.peers).toHaveLength(2);
  });
});

describe('offlineWelcome', () => {
  test('recently seen peers count as online; long-gone ones do not', () => {
    const w = welcome([
      peer('node-a', { online: false, lastSeen: 9 * DAY }),
      peer('node-b', { online: false, lastSeen: 0 }),
    ]);
    const { welcome: off } = offlineWelcome(cached(w, 9 * DAY), 7 * DAY, 9 * DAY + 1);
    expect(off.peers.map((p) => [p.nodeId, p.online])).toEqual([
      ['node-a', true],
      ['node-b', false],
    ]);
  });

  test('expired TURN credentials are dropped, STUN stays', () => {
    const w = welcome([]);
    const fresh = offlineWelcome(cached(w, 0), 7 * DAY, 1);
    expect(fresh.turnExpired).toBe(false);
    expect(fresh.welcome.iceServers).toHaveLength(2);
    const expired = offlineWelcome(cached(w, 0), 7 * DAY, 11 * DAY);
    expect(expired.turnExpired).toBe(true);
    expect(expired.welcome.iceServers).toEqual([{ urls: ['stun:192.0.2.1:3478'] }]);
  });
});

test('parseDuration', () => {
  expect(parseDuration('7d')).toBe(7 * DAY);
  expect(parseDuration('90s')).toBe(90_000);
  expect(parseDuration('0')).toBe(0);
  expect(() => parseDuration('soon')).toThrow(/invalid duration/);
});
