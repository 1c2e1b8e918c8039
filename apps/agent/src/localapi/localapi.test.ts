import { mkdtemp, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { LocalApiClient, LocalApiClientError } from './client.js';
import { type AgentControl, type AgentStatus, LocalApiError, type SetRequest } from './schema.js';
import { LocalApiServer } from './server.js';

const status: AgentStatus = {
  version: '0.1.0',
  node: { id: 'n1', name: 'alpha', addresses: ['10.99.0.1/24'], mac: null },
  network: { id: 'net1', name: 'demo', mode: 'l3', cidr: '10.99.0.0/24' },
  device: { name: 'rtm0', mtu: 1280 },
  server: { url: 'http://127.0.0.1:8080', connected: true, since: null, lastError: null },
  peers: [],
  counters: {},
};

function control(overrides: Partial<AgentControl> = {}): AgentControl & { downCalls: number } {
  const c = {
    downCalls: 0,
    status: () => status,
    ping: async (peer: string) => {
      if (peer !== 'beta') throw new LocalApiError('unknown-peer', `no peer named ${peer}`);
      return { peer: 'beta', rttMs: 1.5, path: 'direct' as const, remoteAddress: '198.18.0.2:4000' };
    },
    netcheck: async () => ({
      udp: true,
      publicAddress: null,
      mappingVariesByDestination: null,
      natType: 'unknown' as const,
      stun: [],
      turn: [],
    }),
    rekey: async () => ({ publicKey: 'new', previousPublicKey: 'old' }),
    set: async (req: SetRequest) => ({
      advertiseRoutes: req.advertiseRoutes ?? [],
      acceptRoutes: req.acceptRoutes ?? false,
      logLevel: req.logLevel ?? 'info',
      advertiseExitNode: false,
      exitNode: null,
      transport: 'auto',
      offload: true,
      directPort: 41730,
      offlineMaxAge: '7d',
    }),
    down: async () => {
      c.downCalls++;
    },
    ...overrides,
  };
  return c;
}

const servers: LocalApiServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function start(ctl: AgentControl): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rtcmesh-api-'));
  const path = join(dir, 'rtcmesh.sock');
  const server = new LocalApiServer(path, ctl);
  await server.listen();
  servers.push(server);
  return path;
}

describe('local API', () => {
  test('serves status and ping over a 0600 unix socket', async () => {
    const path = await start(control());
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const client = new LocalApiClient(path);
    expect((await client.status()).node.name).toBe('alpha');
    expect(await client.ping('beta')).toMatchObject({ rttMs: 1.5, path: 'direct' });
  });

  test('maps agent errors to coded client errors', async () => {
    const client = new LocalApiClient(await start(control()));
    await expect(client.ping('gamma')).rejects.toMatchObject({ code: 'unknown-peer' });
  });

  test('down reaches the agent', async () => {
    const ctl = control();
    await new LocalApiClient(await start(ctl)).down();
    await expect.poll(() => ctl.downCalls, { timeout: 2000 }).toBe(1);
  });

  test('says clearly when no agent runs', async () => {
    const client = new LocalApiClient(join(tmpdir(), 'rtcmesh-none', 'rtcmesh.sock'));
    const err = await client.status().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalApiClientError);
    expect((err as LocalApiClientError).code).toBe('not-running');
  });

  test('rejects a malformed answer instead of printing garbage', async () => {
    const path = await start(control({ status: () => ({ nonsense: true }) as unknown as AgentStatus }));
    await expect(new LocalApiClient(path).status()).rejects.toMatchObject({ code: 'bad-answer' });
  });

  test('refuses to start when another agent owns the socket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rtcmesh-api-'));
    const path = join(dir, 'rtcmesh.sock');
    const other = createServer().listen(path);
    await new Promise((r) => other.once('listening', r));
    await expect(new LocalApiServer(path, control()).listen()).rejects.toThrow(/another rtcmesh agent/);
    other.close();
  });
});

describe('local API: set', () => {
  test('passes valid settings to the agent and answers the settings in effect', async () => {
    const path = await start(control());
    const r = await new LocalApiClient(path).set({ acceptRoutes: true, logLevel: 'debug' });
    expect(r).toMatchObject({ acceptRoutes: true, logLevel: 'debug' });
  });

  test('refuses an empty or malformed request with a clear error', async () => {
    const path = await start(control());
    const api = new LocalApiClient(path);
    await expect(api.set({})).rejects.toThrow(/nothing to set/);
    await expect(api.set({ logLevel: 'loud' } as unknown as SetRequest)).rejects.toThrow(/invalid settings/);
    await expect(api.set({ bogus: 1 } as unknown as SetRequest)).rejects.toThrow(/invalid settings/);
  });
});
