import type { NetworkInfo, PeerInfo, Route } from '@rtcmesh/protocol';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import type { MobilityOptions } from '../mobility/mobility.js';
import { type MobilitySpec, parseMobilitySpec } from '../mobility/mobility-spec.js';
import { AgentMobility, type MobilitySites } from './agent-mobility.js';
import type { MobilityRoutes } from './overlay-routes.js';

const L3 = { id: 'n', name: 'lab', mode: 'l3', cidr: '10.99.0.0/24', mtu: 1280 } as NetworkInfo;
const A = parseMobilitySpec('br-a=10.50.0.0/24');
const B = parseMobilitySpec('br-b=10.51.0.0/24');

/** Sites that claim one host per prefix; the test calls `claim()` to play a host showing up. */
function fakeSites(
  o: MobilityOptions,
  specs: readonly MobilitySpec[],
  log: string[],
): MobilitySites & { claim(): void } {
  let current = [...specs];
  let claimed: string[] = [];
  return {
    get prefixes() {
      return current.map((s) => s.prefix);
    },
    get specs() {
      return current;
    },
    ownRoutes: (seq) => [
      ...current.map((s) => ({ prefix: s.prefix, seq })),
      ...claimed.map((prefix) => ({ prefix, seq: 7 })),
    ],
    claimedPrefixes: () => claimed,
    status: () => [],
    reconfigure: async (s) => {
      current = [...s];
      log.push(`reconfigure:${s.length}`);
    },
    peersChanged: (p) => log.push(`peers:${p.length}`),
    stop: async () => {
      log.push('stop');
    },
    claim() {
      claimed = ['10.50.0.9/32'];
      o.onClaimsChanged();
    },
  };
}

function setup(maxHosts?: number, advertised: string[] = []) {
  const log: string[] = [];
  let attached: MobilityRoutes | undefined;
  let started: (MobilitySites & { claim(): void }) | undefined;
  let limit = 0;
  const m = new AgentMobility({
    selfId: 'self',
    overlayDevice: 'rtm0',
    routes: {
      attachMobility: (x) => {
        attached = x;
        log.push(`attach:${x ? x.prefixes.join() : 'none'}`);
      },
      mobilityChanged: () => log.push('routes.changed'),
      own: (): Route[] => attached?.ownRoutes(1) ?? [],
    },
    advertiseRoutes: () => advertised,
    ...(maxHosts !== undefined ? { maxHosts } : {}),
    peers: () => [{ nodeId: 'peer' } as PeerInfo],
    name: (id) => id,
    ownRoutesChanged: (own) => log.push(`own:${own.map((r) => r.prefix).join()}`),
    advertise: () => log.push('advertise'),
    syncKernelRoutes: () => log.push('kernel'),
    refreshPeers: () => log.push('refresh'),
    sendEvent: (e) => log.push(`event:${e.kind}`),
    logger: pino({ level: 'silent' }),
    start: async (o, specs) => {
      limit = o.maxHostsPerNode;
      started = fakeSites(o, specs, log);
      return started;
    },
  });
  return { m, log, claim: () => started?.claim(), limit: () => limit };
}

describe('AgentMobility', () => {
  test('start: the prefixes become this node’s routes', async () => {
    const { m, log } = setup();
    await m.start([A]);
    expect(log).toEqual(['attach:10.50.0.0/24', 'own:10.50.0.0/24']);
    expect(m.specs).toEqual([A]);
  });

  test('a claimed host is advertised at once and taken out of the kernel routes toward the overlay', async () => {
    const { m, log, claim } = setup();
    await m.start([A]);
    log.length = 0;
    claim();
    expect(log).toEqual(['routes.changed', 'own:10.50.0.0/24,10.50.0.9/32', 'advertise', 'kernel']);
  });

  test('set: none → some starts; some → other reconfigures; some → none stops and detaches', async () => {
    const { m, log } = setup();
    await m.set(L3, [A]);
    expect(log).toEqual([
      'attach:10.50.0.0/24',
      'own:10.50.0.0/24',
      'own:10.50.0.0/24',
      'advertise',
      'refresh',
    ]);
    log.length = 0;
    await m.set(L3, [A, B]);
    expect(log).toEqual([
      'reconfigure:2',
      'attach:10.50.0.0/24,10.51.0.0/24',
      'own:10.50.0.0/24,10.51.0.0/24',
      'advertise',
      'refresh',
    ]);
    log.length = 0;
    await m.set(L3, []);
    expect(log).toEqual(['attach:none', 'stop', 'own:', 'advertise', 'refresh']);
    expect(m.current).toBeUndefined();
  });

  test('set refuses an L2 network and a prefix overlapping the overlay, changing nothing', async () => {
    const { m, log } = setup();
    await expect(m.set({ ...L3, mode: 'l2' }, [A])).rejects.toThrow(/--mobility is for L3 networks/);
    await expect(m.set(L3, [parseMobilitySpec('br-x=10.99.0.0/25')])).rejects.toThrow(/overlaps the network/);
    expect(log).toEqual([]);
  });

  test('the host limit stays under what one advertisement may hold', async () => {
    const asked = setup(10_000, ['10.1.0.0/24']);
    await asked.m.start([A]);
    expect(asked.limit()).toBeLessThan(256);
    const small = setup(5);
    await small.m.start([A]);
    expect(small.limit()).toBe(5);
  });
});
