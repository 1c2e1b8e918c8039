import type { NeighbourEvent } from '@rtcmesh/netdev';
import type { PeerInfo } from '@rtcmesh/protocol';
import pino from 'pino';
import { describe, expect, test } from 'vitest';
import { AnycastGateway, type HostConfig } from './anycast-gateway.js';
import { DEFAULT_HOST_CLAIMS, HostClaims } from './host-claims.js';
import { type MobilityEvent, MobilitySite } from './mobility-site.js';
import { parseMobilitySpec } from './mobility-spec.js';

const log = pino({ level: 'silent' });
const spec = parseMobilitySpec('br-mob=10.50.0.0/24');
const BR = 9;

/** A host whose `ip`, sysctls and iptables are in memory. */
function fakeHost(): HostConfig & { calls: string[]; sysctl: Map<string, string> } {
  const sysctl = new Map<string, string>([
    ['/sys/class/net/br-mob/address', '52:54:00:12:34:56'],
    ['/proc/sys/net/ipv4/conf/br-mob/proxy_arp', '0'],
    ['/proc/sys/net/ipv4/conf/br-mob/arp_accept', '0'],
    ['/proc/sys/net/ipv4/ip_forward', '1'],
  ]);
  const calls: string[] = [];
  return {
    calls,
    sysctl,
    ip: async (args) => {
      calls.push(`ip ${args.join(' ')}`);
      return '';
    },
    iptables: async (args) => {
      calls.push(`iptables ${args.slice(0, 6).join(' ')}`);
    },
    readSysctl: async (path) => {
      const v = sysctl.get(path);
      if (v === undefined) throw new Error(`ENOENT ${path}`);
      return v;
    },
    writeSysctl: async (path, value) => {
      calls.push(`sysctl ${path}=${value}`);
      sysctl.set(path, value);
    },
  };
}

function harness() {
  const host = fakeHost();
  const neighbourCalls: string[] = [];
  const events: MobilityEvent[] = [];
  let changes = 0;
  const site = new MobilitySite(
    spec,
    new HostClaims({ ...DEFAULT_HOST_CLAIMS, self: 'node-a', name: (id) => id.replace('node-', '') }),
    new AnycastGateway(spec, 'rtm0', log, host),
    () => ({
      probe: (i, ip, mac) => neighbourCalls.push(`probe ${i} ${ip} ${mac}`),
      forget: (i, ip) => neighbourCalls.push(`forget ${i} ${ip}`),
      dump: async () => {
        neighbourCalls.push('dump');
      },
    }),
    {
      logger: log,
      name: (id) => id.replace('node-', ''),
      onClaimsChanged: () => changes++,
      onEvent: (e) => events.push(e),
    },
  );
  return { site, host, neighbourCalls, events, changes: () => changes };
}

const neigh = (o: Partial<NeighbourEvent>): NeighbourEvent => ({
  kind: 'new',
  family: 4,
  ifindex: BR,
  ip: '10.50.0.5',
  mac: '02:00:00:00:00:05',
  state: 'stale',
  dump: false,
  ...o,
});

const peer = (nodeId: string, routes: { prefix: string; seq: number }[]): PeerInfo =>
  ({ nodeId, name: nodeId.replace('node-', ''), routes }) as unknown as PeerInfo;

describe('MobilitySite', () => {
  test('the anycast gateway is configured on start and every change is undone on stop, last first', async () => {
    const h = harness();
    await h.site.start(BR);
    expect(h.host.calls).toEqual([
      `ip link set dev br-mob address ${spec.mac}`,
      'ip -4 -o addr show dev br-mob',
      'ip addr add 10.50.0.1/24 dev br-mob',
      'ip link set dev br-mob up',
      'sysctl /proc/sys/net/ipv4/conf/br-mob/proxy_arp=1',
      'sysctl /proc/sys/net/ipv4/conf/br-mob/arp_accept=1',
      'iptables -I FORWARD -i br-mob -o rtm0',
      'iptables -I FORWARD -i rtm0 -o br-mob',
      'iptables -I FORWARD -i rtm0 -o rtm0',
    ]);
    h.host.calls.length = 0;
    await h.site.stop();
    expect(h.host.calls).toEqual([
      'iptables -D FORWARD -i rtm0 -o rtm0',
      'iptables -D FORWARD -i rtm0 -o br-mob',
      'iptables -D FORWARD -i br-mob -o rtm0',
      'sysctl /proc/sys/net/ipv4/conf/br-mob/arp_accept=0',
      'sysctl /proc/sys/net/ipv4/conf/br-mob/proxy_arp=0',
      'ip addr del 10.50.0.1/24 dev br-mob',
      'ip link set dev br-mob address 52:54:00:12:34:56',
    ]);
  });

  test('a bridge that does not exist is a clear error', async () => {
    const h = harness();
    h.host.sysctl.delete('/sys/class/net/br-mob/address');
    await expect(h.site.start(BR)).rejects.toThrow(/no interface br-mob/);
  });

  test('hosts seen on the bridge are claimed; other interfaces, the gateway and foreign addresses are not', async () => {
    const h = harness();
    await h.site.start(BR);
    h.site.neighbour(neigh({ ifindex: 3 }), 0);
    h.site.neighbour(neigh({ ip: '10.50.0.1' }), 0);
    h.site.neighbour(neigh({ ip: '192.168.1.5' }), 0);
    h.site.neighbour(neigh({ state: 'incomplete', mac: null }), 0);
    expect(h.site.ownRoutes(7)).toEqual([{ prefix: '10.50.0.0/24', seq: 7 }]);
    h.site.neighbour(neigh({}), 1); // a gratuitous ARP created it
    expect(h.site.ownRoutes(7)).toEqual([
      { prefix: '10.50.0.0/24', seq: 7 },
      { prefix: '10.50.0.5/32', seq: 1 },
    ]);
    expect(h.changes()).toBe(1);
    // A timer moving the same entry to stale again is not news.
    h.site.neighbour(neigh({ state: 'delay' }), 2);
    h.site.neighbour(neigh({ state: 'stale' }), 3);
    expect(h.changes()).toBe(1);
    // Deleted by the kernel: withdrawn, and nothing to forget.
    h.site.neighbour(neigh({ kind: 'del' }), 4);
    expect(h.site.claimedPrefixes()).toEqual([]);
    expect(h.neighbourCalls).toEqual([]);
    expect(h.events.map((e) => e.details.change)).toEqual(['gone']);
  });

  test('another site’s higher claim: withdrawn at once, probed, forgotten when the probe fails', async () => {
    const h = harness();
    await h.site.start(BR);
    h.site.neighbour(neigh({}), 0);
    h.site.peersChanged([peer('node-b', [{ prefix: '10.50.0.5/32', seq: 2 }])], 10);
    expect(h.site.claimedPrefixes()).toEqual([]);
    expect(h.neighbourCalls).toEqual([`probe ${BR} 10.50.0.5 02:00:00:00:00:05`]);
    expect(h.events.at(-1)).toMatchObject({
      kind: 'host-move',
      peerId: 'node-b',
      details: { change: 'moved-out' },
    });
    expect(h.events.at(-1)?.message).toMatch(/claimed by b \(seq 2\)/);
    h.site.neighbour(neigh({ state: 'probe' }), 11);
    h.site.neighbour(neigh({ state: 'failed', mac: null }), 13);
    expect(h.neighbourCalls.at(-1)).toBe(`forget ${BR} 10.50.0.5`);
    expect(h.site.status(14)).toMatchObject({
      local: [],
      remote: [{ ip: '10.50.0.5', node: 'b', seq: 2 }],
      moves: [{ ip: '10.50.0.5', from: 'a', to: 'b', seq: 2 }],
    });
  });
});
