import type { PeerInfo, Welcome } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { describe, expect, test } from 'vitest';
import type { DirectHint } from '../links/direct-hint.js';
import type { CachedMap, CachedMapLoad } from '../state/network-map.js';
import { NetworkMapStart, type NetworkMapStartOptions } from './network-map-start.js';

function welcome(peers: string[], cidr = '10.99.0.0/24'): Welcome {
  return {
    type: 'welcome',
    version: 2,
    self: { nodeId: 'n-self', name: 'self', addresses: ['10.99.0.1/24'], mac: '02:00:00:00:00:01' },
    network: { id: 'net-1', name: 'lab', mode: 'l2', cidr, mtu: 1280 },
    iceServers: [],
    peers: peers.map((id) => ({ nodeId: id, name: id, online: false, lastSeen: 0 }) as unknown as PeerInfo),
    serverTime: 0,
    iceServersExpireAt: null,
  };
}

const cachedMap = (w: Welcome): CachedMap => ({
  version: 1,
  savedAt: Date.now(),
  confirmedAt: Date.now(),
  welcome: w,
  direct: { 'n-b': { addresses: ['192.0.2.2:41641'] } as unknown as DirectHint },
});

/** The agent around a NetworkMapStart: what it set up, resynced, failed with and logged. */
function harness(
  o: { load?: CachedMapLoad; setupFails?: Error } = {},
  over: Partial<NetworkMapStartOptions> = {},
) {
  const setups: { peers: string[]; hints: string[] | undefined }[] = [];
  const cachedWelcomes: Welcome[] = [];
  const resyncs: string[][] = [];
  const failures: Error[] = [];
  const loads: unknown[] = [];
  const logs: string[] = [];
  let config: Welcome | undefined;
  let stopping = false;
  const logger = {
    warn: (_o: unknown, msg?: string) => logs.push(`warn: ${msg ?? _o}`),
    info: (msg: string) => logs.push(`info: ${msg}`),
  } as unknown as Logger;
  const start = new NetworkMapStart({
    nodeId: 'n-self',
    networkId: 'net-1',
    ...(o.load
      ? {
          cache: {
            store: {
              load: async (...args: unknown[]) => {
                loads.push(args[0]);
                return o.load as CachedMapLoad;
              },
            },
            maxAgeMs: 7 * 86400_000,
            offlineAfterMs: 30,
          },
        }
      : {}),
    server: { serverUrl: 'https://signal.example', lastError: 'ECONNREFUSED' },
    setup: (w, hints) => {
      setups.push({ peers: w.peers.map((p) => p.nodeId), hints: hints && [...hints.keys()] });
      config = w;
      if (o.setupFails) return Promise.reject(o.setupFails);
      return new Promise((r) => setTimeout(r, 5));
    },
    cachedWelcome: (w) => cachedWelcomes.push(w),
    resync: (w) => resyncs.push(w.peers.map((p) => p.nodeId)),
    config: () => config,
    stopping: () => stopping,
    fail: (e) => failures.push(e),
    logger,
    ...over,
  });
  return {
    start,
    setups,
    cachedWelcomes,
    resyncs,
    failures,
    loads,
    logs,
    stop: () => {
      stopping = true;
      start.stopped();
    },
  };
}

const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe('NetworkMapStart', () => {
  test('without a cache the first welcome configures; a later one resyncs once the setup is done', async () => {
    const h = harness();
    const first = h.start.first();
    await tick();
    expect(h.setups).toEqual([]);
    h.start.welcome(welcome(['n-b']));
    h.start.welcome(welcome(['n-c']));
    await expect(first).resolves.toBe(true);
    expect(h.start.source).toBe('server');
    expect(h.setups).toEqual([{ peers: ['n-b'], hints: undefined }]);
    await tick();
    expect(h.resyncs).toEqual([['n-c']]);
  });

  test('a server that does not answer in time: the cached map, with its direct hints', async () => {
    const cached = welcome(['n-b']);
    const h = harness({ load: { ok: true, map: cachedMap(cached), ageMs: 3_600_000 } });
    expect(h.start.source).toBeUndefined();
    await expect(h.start.first()).resolves.toBe(true);
    expect(h.loads).toEqual([{ nodeId: 'n-self', networkId: 'net-1' }]);
    expect(h.start.source).toBe('cache');
    expect(h.setups).toEqual([{ peers: ['n-b'], hints: ['n-b'] }]);
    expect(h.cachedWelcomes.map((w) => w.network.id)).toEqual(['net-1']);
    expect(h.logs).toContain('warn: signaling server unreachable: starting from the cached network map');
  });

  test('the server answering within the wait wins over the cache', async () => {
    const h = harness({ load: { ok: true, map: cachedMap(welcome(['n-b'])), ageMs: 1000 } });
    const first = h.start.first();
    h.start.welcome(welcome(['n-c']));
    await expect(first).resolves.toBe(true);
    await tick(60);
    expect(h.start.source).toBe('server');
    expect(h.setups).toEqual([{ peers: ['n-c'], hints: undefined }]);
    expect(h.cachedWelcomes).toEqual([]);
  });

  test('after an offline start the server’s welcome replaces the cache', async () => {
    const h = harness({ load: { ok: true, map: cachedMap(welcome(['n-b'])), ageMs: 1000 } });
    await h.start.first();
    h.start.welcome(welcome(['n-c']));
    await tick();
    expect(h.resyncs).toEqual([['n-c']]);
    expect(h.start.source).toBe('server');
    expect(h.logs).toContain('info: the signaling server is back: its network map replaces the cache');
    expect(h.failures).toEqual([]);
  });

  test('a network that changed while running from the cache fails the agent instead of resyncing', async () => {
    const h = harness({ load: { ok: true, map: cachedMap(welcome(['n-b'])), ageMs: 1000 } });
    await h.start.first();
    h.start.welcome(welcome(['n-b'], '10.98.0.0/24'));
    await tick();
    expect(h.resyncs).toEqual([]);
    expect(h.failures.map((e) => e.message)).toEqual([
      "the network's address range changed while this agent ran from its cached network map; start it again",
    ]);
    expect(h.start.source).toBe('cache');
  });

  test('a cache that cannot be used is said (unless there is none) and the start waits for the server', async () => {
    const stale = harness({ load: { ok: false, reason: 'the cached network map is 8d old' } });
    const first = stale.start.first();
    await tick(60);
    expect(stale.setups).toEqual([]);
    expect(stale.logs).toEqual(['warn: not starting from the cached network map']);
    stale.start.welcome(welcome([]));
    await expect(first).resolves.toBe(true);
    const missing = harness({ load: { ok: false, reason: 'no cached network map', missing: true } });
    void missing.start.first();
    await tick(60);
    expect(missing.logs).toEqual([]);
    missing.stop();
  });

  test('stop() before any configuration: first() answers false, nothing is set up', async () => {
    const h = harness();
    const first = h.start.first();
    h.stop();
    await expect(first).resolves.toBe(false);
    const cached = harness({ load: { ok: true, map: cachedMap(welcome(['n-b'])), ageMs: 1000 } });
    const cachedFirst = cached.start.first();
    cached.stop();
    await expect(cachedFirst).resolves.toBe(false);
    expect([...h.setups, ...cached.setups]).toEqual([]);
  });

  test('a failed setup fails the agent and the start; a welcome after it is not resynced', async () => {
    const boom = new Error('cannot open the device');
    const h = harness({ setupFails: boom });
    const first = h.start.first();
    h.start.welcome(welcome(['n-b']));
    await expect(first).rejects.toBe(boom);
    expect(h.failures).toEqual([boom]);
    h.start.welcome(welcome(['n-c']));
    await tick();
    expect(h.resyncs).toEqual([]);
  });

  test('a fatal session error fails a start still waiting', async () => {
    const h = harness();
    const first = h.start.first();
    const fatal = new Error('the server refused this node');
    h.start.failed(fatal);
    await expect(first).rejects.toBe(fatal);
  });

  test('the wait for the server is said every interval, and no more once configured', async () => {
    const h = harness({}, { waitingLogMs: 10 });
    const first = h.start.first();
    await tick(35);
    const said = h.logs.filter((l) => l === 'warn: still waiting for the signaling server').length;
    expect(said).toBeGreaterThanOrEqual(2);
    h.start.welcome(welcome([]));
    await first;
    const after = h.logs.length;
    await tick(35);
    expect(h.logs.length).toBe(after);
  });
});
