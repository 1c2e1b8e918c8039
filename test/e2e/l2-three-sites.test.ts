import { describe, expect, test } from 'vitest';
import { labSkipReason } from '../lab/index.js';
import { useMeshLab } from './fixture.js';
import { waitFor } from './mesh-lab.js';

/**
 * Issue 4, test 1: an L2 segment stretched over three sites behind a cone, a cone and a symmetric
 * NAT. Every pair pings over the TAP addresses; cone<->cone goes direct, pairs with the symmetric
 * site go through the relay; ARP for a remote address is answered locally.
 */
const skip = await labSkipReason();
describe.skipIf(skip !== undefined)(
  'L2 mesh across cone, cone and symmetric NAT',
  { timeout: 120_000 },
  () => {
    const lab = useMeshLab({
      world: {
        sites: {
          a: { nat: 'cone', hosts: ['a1'] },
          b: { nat: 'cone', hosts: ['b1'] },
          c: { nat: 'symmetric', hosts: ['c1'] },
        },
      },
      network: { mode: 'l2', cidr: '10.98.0.0/24' },
      agentEnv: { RTCMESH_CONNECT_TIMEOUT_MS: '4000' },
      agents: ['a1', 'b1', 'c1'],
    });

    test('every pair pings over the overlay', async () => {
      expect(await lab().pingEveryPair()).toEqual([]);
    });

    test('cone<->cone is direct, pairs with the symmetric site are relayed', async () => {
      const a = await lab().agent('a1').status();
      const c = await lab().agent('c1').status();
      const path = (s: typeof a, peer: string) => s.peers.find((p) => p.name === peer)?.path;
      expect(path(a, 'b1')).toBe('direct');
      expect(path(a, 'c1')).toBe('relay');
      expect(path(c, 'b1')).toBe('relay');
      // Frames cross on the packet track (RTP over SRTP), direct and relayed alike.
      for (const s of [a, c])
        for (const p of s.peers) expect(p.packetPath, `${s.node.name}->${p.name}`).toBe('rtp');
    });

    test('each node reports its NAT behaviour, as netcheck sees it, to the server', async () => {
      const expected: Record<string, string> = {
        a1: 'endpoint-independent',
        b1: 'endpoint-independent',
        c1: 'endpoint-dependent',
      };
      await waitFor(
        'netcheck results on the server',
        async () => {
          const r = await lab().admin(['node', 'list', '--json']);
          const nodes = JSON.parse(r.stdout) as { name: string; netcheck: { natType?: string } | null }[];
          return nodes.every((n) => n.netcheck?.natType === expected[n.name]) ? true : undefined;
        },
        20_000,
      );
    });

    test('IPv6 crosses the segment and neighbour solicitations for remote addresses are answered locally', async () => {
      const a1 = lab().agent('a1');
      const b1 = lab().agent('b1');
      // Operators number a stretched segment with IPv6 as they like (here a ULA); the agents learn the
      // addresses from the hosts' own neighbour discovery and advertise them like ARP bindings.
      await a1.host.exec('ip', ['-6', 'addr', 'add', 'fd98::a1/64', 'dev', 'rtm0', 'nodad']);
      await b1.host.exec('ip', ['-6', 'addr', 'add', 'fd98::b1/64', 'dev', 'rtm0', 'nodad']);
      const ping6 = async (from: typeof a1, to: string) => {
        const r = await from.host.exec('ping', ['-6', '-n', '-c', '3', '-i', '0.2', '-W', '2', to], {
          timeoutMs: 15_000,
        });
        return [...r.stdout.matchAll(/time=([\d.]+) ms/g)].length;
      };
      await waitFor(
        'a1 -> b1 over IPv6',
        async () => ((await ping6(a1, 'fd98::b1')) >= 2 ? true : undefined),
        20_000,
        500,
      );
      expect(await ping6(b1, 'fd98::a1')).toBeGreaterThanOrEqual(2);
      // Once b1's address is advertised, a1's kernel asking for it is answered by a1's own agent.
      await waitFor(
        'a1 answering NS for fd98::b1 locally',
        async () => {
          await a1.host.exec('ip', ['-6', 'neigh', 'flush', 'dev', 'rtm0']);
          const before = (await a1.status()).counters['drop.nd-suppressed'] ?? 0;
          await ping6(a1, 'fd98::b1');
          return ((await a1.status()).counters['drop.nd-suppressed'] ?? 0) > before ? true : undefined;
        },
        20_000,
        500,
      );
    });

    test('an ARP request for a remote address is answered locally and never reaches the remote site', async () => {
      const a1 = lab().agent('a1');
      const b1 = lab().agent('b1');
      const aIp = await a1.address();
      const bIp = await b1.address();
      const capture = b1.host.spawn('tcpdump', ['-i', 'rtm0', '-nn', '-l', 'arp'], { label: 'tcpdump-b1' });
      await capture.waitForLine(/listening on/, 10_000, 'stderr');
      await a1.host.exec('ip', ['neigh', 'flush', 'dev', 'rtm0']);
      const before = (await a1.status()).counters['drop.arp-suppressed'] ?? 0;
      const r = await a1.ping(bIp, 2);
      expect(r.received).toBeGreaterThanOrEqual(1);
      const after = (await a1.status()).counters['drop.arp-suppressed'] ?? 0;
      expect(after).toBeGreaterThan(before);
      await capture.stop(2000);
      expect(capture.output('stdout')).not.toContain(`Request who-has ${bIp} tell ${aIp}`);
    });
  },
);
