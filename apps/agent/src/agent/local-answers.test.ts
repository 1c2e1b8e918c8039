import type { LinkStats } from '@rtcmesh/peer';
import type { AgentEvent, IceServer, PeerInfo, Welcome } from '@rtcmesh/protocol';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import type { PeerView } from '../links/peer-links.js';
import { LocalApiError, type NetcheckReport, type RekeyReply } from '../localapi/schema.js';
import type { MobilitySpec } from '../mobility/mobility-spec.js';
import { type AnswerPlane, LocalAnswers, type LocalAnswersOptions } from './local-answers.js';

const WELCOME = {
  type: 'welcome',
  version: 2,
  self: { nodeId: 'n-self', name: 'self', addresses: ['10.99.0.1/24'], mac: '02:00:00:00:00:01' },
  network: { id: 'net-1', name: 'lab', mode: 'l3', cidr: '10.99.0.0/24', mtu: 1280 },
  iceServers: [{ urls: ['stun:stun.example:3478'] }],
  peers: [],
  serverTime: 0,
  iceServersExpireAt: null,
} as Welcome;

const SITE: MobilitySpec = {
  bridge: 'br-a',
  prefix: '10.50.0.0/24',
  gateway: '10.50.0.1',
  mac: '02:aa:00:00:00:01',
};

/** A peer and its link as PeerLinks shows them; `ping` is what the link's ping does. */
function view(
  name: string,
  state: string | null,
  ping?: () => Promise<{ rttMs: number; path: 'direct' }>,
): PeerView {
  return {
    info: { nodeId: `n-${name}`, name, online: true, addresses: [] } as unknown as PeerInfo,
    link:
      state === null
        ? null
        : ({
            currentState: state,
            ping: ping ?? (async () => ({ rttMs: 3, path: 'direct' })),
            path: () => ({ remoteAddress: '192.0.2.7:4000' }),
          } as unknown as PeerView['link']),
    refused: null,
  };
}

function links(views: PeerView[]) {
  return {
    stats: () => new Map<string, LinkStats>(),
    list: () => views,
    get: (id: string) => views.find((v) => v.info.nodeId === id),
    find: (q: string) => views.find((v) => v.info.name === q || v.info.nodeId === q),
  };
}

function answers(over: Partial<LocalAnswersOptions> = {}) {
  const events: AgentEvent[] = [];
  const netchecks: IceServer[][] = [];
  const a = new LocalAnswers({
    config: () => WELCOME,
    server: { serverUrl: 'https://signal.example', connected: true, since: null, lastError: null },
    links: () => undefined,
    plane: () => undefined,
    routes: () => undefined,
    mobility: () => undefined,
    resolver: () => undefined,
    browserPeers: () => undefined,
    keyRotation: () => undefined,
    policy: { status: () => ({ source: 'none' }) as never },
    mapSource: () => undefined,
    mapConfirmedAt: () => 0,
    directPort: () => undefined,
    serverLostAt: () => Date.now(),
    sendEvent: (e) => events.push(e),
    options: { device: 'rtm0', advertiseRoutes: ['10.1.0.0/24'], mobility: [SITE] },
    logger: pino({ level: 'silent' }),
    netcheck: async (ice) => {
      netchecks.push(ice);
      return { natType: 'none' } as unknown as NetcheckReport;
    },
    ...over,
  });
  return { a, events, netchecks };
}

describe('LocalAnswers', () => {
  test('status before the first configuration: "still starting"', () => {
    const { a } = answers({ config: () => undefined });
    expect(() => a.status()).toThrow(LocalApiError);
    expect(() => a.status()).toThrow(/still starting/);
  });

  test('status from the configuration alone: no device, the server as the map source, only present parts', () => {
    const { a } = answers();
    const s = a.status();
    expect(s.node).toEqual({ id: 'n-self', name: 'self', addresses: ['10.99.0.1/24'], mac: null });
    expect(s.network).toEqual({ id: 'net-1', name: 'lab', mode: 'l3', cidr: '10.99.0.0/24' });
    expect(s.device).toBeNull();
    expect(s.server).toEqual({
      url: 'https://signal.example',
      connected: true,
      since: null,
      lastError: null,
    });
    expect(s.networkMap).toEqual({ source: 'server', confirmedAt: null, directPort: null });
    expect(s.peers).toEqual([]);
    expect(s.counters).toEqual({});
    expect(s.policy).toEqual({ source: 'none' });
    expect(s.health).toEqual({ state: 'ok', problems: [] });
    for (const k of ['routes', 'mobility', 'dns', 'browserSessions']) expect(s).not.toHaveProperty(k);
  });

  test('status reads the parts as they are: map source, peers, resolver, browser sessions', () => {
    const { a } = answers({
      mapSource: () => 'cache',
      mapConfirmedAt: () => Date.UTC(2025, 0, 2),
      directPort: () => 41641,
      links: () => links([view('b', 'connected')]),
      resolver: () => ({ status: () => ({ zone: 'lab.rtcmesh.internal' }) as never }),
      browserPeers: () => ({ sessions: () => [{ id: 's1' } as never] }),
    });
    const s = a.status();
    expect(s.networkMap).toEqual({
      source: 'cache',
      confirmedAt: '2025-01-02T00:00:00.000Z',
      directPort: 41641,
    });
    expect(s.peers.map((p) => [p.name, p.state])).toEqual([['b', 'new']]);
    expect(s.dns).toEqual({ zone: 'lab.rtcmesh.internal' });
    expect(s.browserSessions).toEqual([{ id: 's1' }]);
    expect(s.health?.problems).toEqual(['running from the cached network map (server not reached yet)']);
  });

  test('the routes only once accepted routes exist, with the forwarder’s choices named', () => {
    const seen: unknown[] = [];
    const plane = {
      forwarder: { counters: () => ({ rx: 1 }) },
      device: { name: 'rtm0', mtu: 1280, offloads: {}, coalescing: false, stats: () => ({ framesRead: 9 }) },
      offersExit: true,
      l2Settings: undefined,
      routeChoices: (name: (id: string) => string) => [
        { prefix: '10.5.0.0/24', primary: name('local'), standby: [name('n-b'), name('n-gone')] },
      ],
    } as unknown as AnswerPlane;
    const { a } = answers({
      plane: () => plane,
      links: () => links([view('b', 'connected')]),
      routes: () =>
        ({
          peers: {},
          status: (extra: unknown) => {
            seen.push(extra);
            return { exitNode: null };
          },
        }) as never,
    });
    expect(a.status().routes).toEqual({ exitNode: null });
    expect(seen).toEqual([
      {
        offersExit: true,
        primaries: [{ prefix: '10.5.0.0/24', primary: 'this node', standby: ['b', 'n-gone'] }],
      },
    ]);
    expect(a.status().counters).toEqual({ rx: 1 });
    expect(a.status().device).toMatchObject({ name: 'rtm0', counters: { framesRead: 9 } });
    expect(
      answers({ plane: () => plane, routes: () => ({ peers: undefined }) as never }).a.status(),
    ).not.toHaveProperty('routes');
  });

  test('settings: the command line’s until the parts exist, their own after', () => {
    const before = answers({
      config: () => undefined,
      options: { device: 'rtm0', advertiseRoutes: ['10.1.0.0/24'], mobility: [SITE] },
    });
    expect(before.a.settings()).toEqual({
      advertiseRoutes: ['10.1.0.0/24'],
      acceptRoutes: false,
      mobility: ['br-a=10.50.0.0/24,gateway=10.50.0.1,mac=02:aa:00:00:00:01'],
      logLevel: 'silent',
      advertiseExitNode: false,
      exitNode: null,
      transport: 'auto',
      offload: true,
      directPort: null,
      offlineMaxAge: null,
    });
    // Configured, the mobility specs are the running sites' (none yet), not the command line's.
    expect(answers().a.settings().mobility).toEqual([]);
    const running = answers({
      routes: () => ({ advertiseRoutes: ['10.2.0.0/24'], acceptRoutes: true }) as never,
      mobility: () => ({ current: undefined, specs: [SITE] }),
      directPort: () => 41641,
      options: {
        device: 'rtm0',
        advertiseRoutes: [],
        offload: false,
        transport: 'werift',
        offlineMaxAgeMs: 0,
      },
    }).a.settings();
    expect(running).toMatchObject({
      advertiseRoutes: ['10.2.0.0/24'],
      acceptRoutes: true,
      mobility: ['br-a=10.50.0.0/24,gateway=10.50.0.1,mac=02:aa:00:00:00:01'],
      offload: false,
      transport: 'werift',
      directPort: 41641,
      offlineMaxAge: 'never',
    });
    const week = answers({
      options: { device: 'rtm0', advertiseRoutes: [], offlineMaxAgeMs: 7 * 86400_000 },
    });
    expect(week.a.settings().offlineMaxAge).toBe('7d');
  });

  test('health: a server away for minutes and an unreachable peer', () => {
    const { a } = answers({
      server: { serverUrl: 'x', connected: false, since: null, lastError: 'ECONNREFUSED' },
      serverLostAt: () => Date.now() - 3 * 60_000,
      links: () => links([view('b', 'connected'), view('c', 'connecting')]),
    });
    expect(a.health()).toEqual({
      state: 'degraded',
      problems: ['no signaling server for 3 min (ECONNREFUSED)', '1 of 2 peers unreachable: c'],
    });
  });

  test('ping: an unknown peer, a link not up, a reply, a timeout', async () => {
    const failing = view('d', 'connected', async () => {
      throw new Error('ping timed out after 5000 ms');
    });
    const { a } = answers({
      links: () => links([view('b', 'connected'), view('c', 'connecting'), view('e', null), failing]),
    });
    await expect(a.ping('zz')).rejects.toMatchObject({ code: 'unknown-peer', message: 'no peer named zz' });
    await expect(a.ping('c')).rejects.toMatchObject({
      code: 'peer-not-connected',
      message: 'link to c is connecting',
    });
    await expect(a.ping('e')).rejects.toMatchObject({ message: 'link to e is not started' });
    await expect(a.ping('b')).resolves.toEqual({
      peer: 'b',
      rttMs: 3,
      path: 'direct',
      remoteAddress: '192.0.2.7:4000',
    });
    await expect(a.ping('d')).rejects.toMatchObject({
      code: 'timeout',
      message: 'ping timed out after 5000 ms',
    });
  });

  test('netcheck uses the configuration’s ICE servers (none before it)', async () => {
    const { a, netchecks } = answers();
    await a.netcheck();
    const early = answers({ config: () => undefined });
    await early.a.netcheck();
    expect(netchecks).toEqual([WELCOME.iceServers]);
    expect(early.netchecks).toEqual([[]]);
  });

  test('rekey: unavailable while starting; a rotation is told to the server', async () => {
    await expect(answers().a.rekey()).rejects.toMatchObject({ code: 'unavailable' });
    const reply = { publicKey: 'new', previousPublicKey: 'old' } as unknown as RekeyReply;
    const { a, events } = answers({ keyRotation: () => ({ rotate: async () => reply }) });
    await expect(a.rekey()).resolves.toBe(reply);
    expect(events).toEqual([{ kind: 'key-rotated', message: 'node key rotated' }]);
  });
});
