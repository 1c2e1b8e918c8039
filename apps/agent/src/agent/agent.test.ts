import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NetDevice, OpenTapOptions, OpenTunOptions } from '@rtcmesh/netdev';
import type { PeerInfo, Welcome } from '@rtcmesh/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { ControlClient } from '../control/control-client.js';
import { type CachedMap, NetworkMapStore } from '../state/network-map.js';
import { StateDir } from '../state/state-dir.js';
import { Agent, type AgentExit, type DeviceOpener } from './agent.js';

/**
 * The Agent against fakes: a control session whose server never answers (its events are emitted by
 * the test, as the server would send them) and a device that is a plain object. No TAP/TUN, no
 * server; peers are offline so no link starts.
 */
const log = pino({ level: 'silent' });
const NODE = 'node-self';

function welcome(over: Partial<Welcome> = {}, peers: PeerInfo[] = [peer('node-b')]): Welcome {
  return {
    type: 'welcome',
    version: 2,
    self: { nodeId: NODE, name: 'self', addresses: ['10.99.0.1/24'], mac: '02:00:00:00:00:01' },
    network: { id: 'net-1', name: 'lab', mode: 'l2', cidr: '10.99.0.0/24', mtu: 1280 },
    iceServers: [],
    peers,
    serverTime: Date.now(),
    iceServersExpireAt: null,
    ...over,
  };
}

function peer(id: string): PeerInfo {
  return {
    nodeId: id,
    name: id,
    publicKey: Buffer.alloc(32, 7).toString('base64'),
    addresses: ['10.99.0.2/24'],
    mac: '02:00:00:00:00:02',
    // Offline for long: no link is started (a link would open real sockets).
    online: false,
    lastSeen: 0,
    bindings: [],
    routes: [],
  };
}

class FakeDevices implements DeviceOpener {
  readonly opened: (OpenTapOptions | OpenTunOptions)[] = [];
  closed = 0;
  openTap(o: OpenTapOptions): Promise<NetDevice> {
    return this.open(o);
  }
  openTun(o: OpenTunOptions): Promise<NetDevice> {
    return this.open(o);
  }
  private open(o: OpenTapOptions | OpenTunOptions): Promise<NetDevice> {
    this.opened.push(o);
    const device = {
      name: o.name ?? 'rtm0',
      mtu: o.mtu ?? 1280,
      offloads: { checksum: false, tso4: false, tso6: false, uso: false },
      coalescing: false,
      write: () => true,
      onFrames: () => () => {},
      onError: () => () => {},
      stats: () => ({}),
      close: async () => {
        this.closed++;
      },
    };
    return Promise.resolve(device as unknown as NetDevice);
  }
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function makeAgent(o: { cache?: CachedMap; offlineAfterMs?: number } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'rtm-agent-unit-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const state = new StateDir(dir);
  const store = new NetworkMapStore(state.networkMapPath);
  if (o.cache) await store.save(o.cache);
  const { privateKey } = generateKeyPairSync('ed25519');
  // Port 1 on loopback: refused at once, forever (the server is "down").
  const control = new ControlClient({
    serverUrls: ['http://127.0.0.1:1'],
    nodeId: NODE,
    privateKey,
    agentVersion: 'test',
    logger: log,
  });
  const devices = new FakeDevices();
  const agent = new Agent({
    serverUrls: ['http://127.0.0.1:1'],
    nodeId: NODE,
    privateKey,
    socketPath: join(dir, 'rtcmesh.sock'),
    device: 'rtm-test0',
    advertiseRoutes: [],
    assignAddress: true,
    // Its own logger: `set --log-level` changes it, not the other tests'.
    logger: pino({ level: 'silent' }),
    keyStore: state,
    networkId: 'net-1',
    networkMap: { store, maxAgeMs: 7 * 86400_000, offlineAfterMs: o.offlineAfterMs ?? 50 },
    directPort: 0,
    control,
    devices,
    offload: false,
    settingsStore: state,
  });
  cleanup.push(() => agent.stop());
  return { agent, control, devices, store, state };
}

async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  ms = 5000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const cached = (w: Welcome, confirmedAt = Date.now()): CachedMap => ({
  version: 1,
  savedAt: confirmedAt,
  confirmedAt,
  welcome: w,
});

describe('Agent', () => {
  test('stop() before the server ever answered: start() returns and the agent exits "stopped"', async () => {
    const { agent, devices } = await makeAgent();
    const started = agent.start();
    await new Promise((r) => setTimeout(r, 100));
    await agent.stop();
    await expect(started).resolves.toBeUndefined();
    await expect(agent.exited).resolves.toEqual({ reason: 'stopped' } satisfies AgentExit);
    expect(devices.opened).toHaveLength(0);
  });

  test('the first welcome configures the device, and the map is cached for an offline start', async () => {
    const { agent, control, devices, store } = await makeAgent();
    const started = agent.start();
    control.emit('welcome', welcome());
    await started;
    expect(devices.opened).toEqual([
      expect.objectContaining({ name: 'rtm-test0', addresses: ['10.99.0.1/24'] }),
    ]);
    expect(agent.status().networkMap?.source).toBe('server');
    // A peer joins, another is removed: the cache follows within a second or so.
    control.emit('peer-joined', peer('node-c'));
    control.emit('peer-removed', 'node-b');
    await until('the cache to name node-c only', async () => {
      const text = existsSync(store.path) ? await readFile(store.path, 'utf8') : '';
      const ids = text ? (JSON.parse(text) as CachedMap).welcome.peers.map((p) => p.nodeId) : [];
      return ids.join() === 'node-c' ? true : undefined;
    });
  });

  test('a dual-stack L3 network: the TUN gets the /32 and the /128, and routes for both prefixes', async () => {
    const { agent, control, devices } = await makeAgent();
    const started = agent.start();
    control.emit(
      'welcome',
      welcome({
        self: {
          nodeId: NODE,
          name: 'self',
          addresses: ['10.99.0.1/24', 'fd7a::1/64'],
          mac: '02:00:00:00:00:01',
        },
        network: {
          id: 'net-1',
          name: 'lab',
          mode: 'l3',
          cidr: '10.99.0.0/24',
          cidr6: 'fd7a::/64',
          mtu: 1280,
        },
      }),
    );
    await started;
    expect(devices.opened).toEqual([
      expect.objectContaining({
        name: 'rtm-test0',
        addresses: ['10.99.0.1/32', 'fd7a::1/128'],
        routes: ['10.99.0.0/24', 'fd7a::/64'],
      }),
    ]);
    expect(agent.status().network).toMatchObject({ cidr: '10.99.0.0/24', cidr6: 'fd7a::/64' });
  });

  test('with the server down it starts from the cached map; the server’s welcome then takes over', async () => {
    const { agent, control, devices } = await makeAgent({ cache: cached(welcome()) });
    await agent.start();
    const s = agent.status();
    expect(s.networkMap?.source).toBe('cache');
    expect(s.server.connected).toBe(false);
    expect(s.peers.map((p) => p.name)).toEqual(['node-b']);
    expect(devices.opened).toHaveLength(1);
    // The server is back: its view replaces the cache (node-b gone, node-c new); the device stays.
    control.emit('welcome', welcome({}, [peer('node-c')]));
    await until('the server’s map', () =>
      agent.status().networkMap?.source === 'server' ? true : undefined,
    );
    expect(agent.status().peers.map((p) => p.name)).toEqual(['node-c']);
    expect(devices.opened).toHaveLength(1);
  });

  test('a network that changed while the agent ran from its cache stops it with a clear error', async () => {
    const { agent, control } = await makeAgent({ cache: cached(welcome()) });
    await agent.start();
    control.emit(
      'welcome',
      welcome({ network: { id: 'net-1', name: 'lab', mode: 'l2', cidr: '10.98.0.0/24', mtu: 1280 } }),
    );
    const exit = await agent.exited;
    expect(exit.reason).toBe('fatal');
    expect(exit.reason === 'fatal' && exit.error.message).toMatch(/address range changed/);
  });

  test('the admin’s L2 settings reach the switch live, and a resync keeps them', async () => {
    const { agent, control } = await makeAgent();
    const started = agent.start();
    control.emit('welcome', welcome());
    await started;
    expect(agent.status().network.l2).toEqual({ stormPps: 1000, stormBurst: 2000, blockDhcp: false });
    const l2 = { stormPps: 50, stormBurst: 100, blockDhcp: true };
    control.emit('config', { type: 'config', network: { ...welcome().network, l2 } });
    expect(agent.status().network.l2).toEqual(l2);
    control.emit('welcome', welcome({ network: { ...welcome().network, l2: { ...l2, blockDhcp: false } } }));
    await until('the resync', () => (agent.status().network.l2?.blockDhcp === false ? true : undefined));
  });

  test('rtcmesh set: applied, answered, and saved for the next start; routes are refused in L2', async () => {
    const { agent, control, state } = await makeAgent();
    const started = agent.start();
    control.emit('welcome', welcome());
    await started;
    const s = await agent.set({ logLevel: 'fatal' });
    expect(s).toMatchObject({ logLevel: 'fatal', acceptRoutes: false, advertiseRoutes: [] });
    expect(await state.readSettings()).toEqual({ logLevel: 'fatal' });
    await expect(agent.set({ acceptRoutes: true })).rejects.toThrow(/routes are for L3 networks/);
    await expect(agent.set({ mobility: ['br-a=10.50.0.0/24'] })).rejects.toThrow(
      /--mobility is for L3 networks; lab is L2/,
    );
  });

  test('a cache older than the maximum age is not used: the agent waits for the server', async () => {
    const { agent, devices } = await makeAgent({ cache: cached(welcome(), Date.now() - 8 * 86400_000) });
    const started = agent.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(devices.opened).toHaveLength(0);
    await agent.stop();
    await started;
  });

  test('a removed node forgets its cached map', async () => {
    const { agent, control, store } = await makeAgent({ cache: cached(welcome()) });
    await agent.start();
    control.emit('removed', 'removed by an admin');
    await expect(agent.exited).resolves.toMatchObject({ reason: 'removed' });
    expect(existsSync(store.path)).toBe(false);
  });
});
