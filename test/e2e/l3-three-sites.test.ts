import { describe, expect, test } from 'vitest';
import { labSkipReason } from '../lab/index.js';
import { useMeshLab } from './fixture.js';
import { STREAM_BYTES, streamIntact } from './stream.js';

const SITE_A_LAN = '10.1.1.0/24';

/**
 * Issue 4, test 2: an L3 overlay over three sites (cone, cone, symmetric). Every pair pings and moves
 * 50 MB of TCP intact; a subnet router advertises its LAN and a host at another site reaches a LAN
 * host that runs no agent.
 */
const skip = await labSkipReason();
describe.skipIf(skip !== undefined)(
  'L3 mesh across three sites with a subnet router',
  { timeout: 600_000 },
  () => {
    const lab = useMeshLab({
      world: {
        sites: {
          a: { nat: 'cone', hosts: ['a1', 'a2'], lan: SITE_A_LAN },
          b: { nat: 'cone', hosts: ['b1'] },
          c: { nat: 'symmetric', hosts: ['c1'] },
        },
      },
      network: { mode: 'l3', cidr: '10.99.0.0/24' },
      agentEnv: { RTCMESH_CONNECT_TIMEOUT_MS: '4000' },
      // a1 is the subnet router for site a's LAN: forwarding on, and SNAT so LAN hosts answer through it
      // without a route back to the overlay (see README, "Subnet routers").
      prepare: async (mesh) => {
        const a1 = mesh.world.host('a1');
        await a1.exec('sysctl', ['-w', 'net.ipv4.ip_forward=1']);
        await a1.exec('iptables', [
          '-t',
          'nat',
          '-A',
          'POSTROUTING',
          '-s',
          '10.99.0.0/24',
          '-d',
          SITE_A_LAN,
          '-j',
          'MASQUERADE',
        ]);
      },
      agents: [{ host: 'a1', advertiseRoutes: [SITE_A_LAN] }, 'b1', 'c1'],
    });

    test('every pair pings', async () => {
      expect(await lab().pingEveryPair()).toEqual([]);
    });

    test.each([
      ['a1', 'b1', 5301],
      ['b1', 'c1', 5302],
      ['c1', 'a1', 5303],
    ])('%s moves 50 MB of TCP to %s intact', async (from, to, port) => {
      const toAgent = lab().agent(to);
      const { sent, received } = await streamIntact(
        lab().agent(from),
        toAgent,
        await toAgent.address(),
        port,
      );
      expect(received.bytes).toBe(STREAM_BYTES);
      expect(received.sha256).toBe(sent.sha256);
      // It crossed on the packet track (RTP), direct or relayed (c1 is behind a symmetric NAT).
      const link = (await lab().agent(from).status()).peers.find((p) => p.name === to);
      expect(link).toMatchObject({ packetPath: 'rtp', state: 'connected' });
      expect(link?.pathLossPct).toBeTypeOf('number');
      // The default (auto) runs every UDP path on libdatachannel, and says so.
      if (process.env.RTCMESH_E2E_TRANSPORT === 'auto')
        expect(link).toMatchObject({
          transport: 'libdatachannel',
          transportReason: 'auto: native stack available',
        });
      else expect(link?.transport).toBe('werift');
    });

    test('a host at another site reaches a LAN host behind the subnet router', async () => {
      const a2 = lab().world.host('a2');
      await lab().agent('b1').waitConnected('a1');
      const r = await lab().agent('b1').ping(a2.ip, 3);
      expect(r.received, r.output).toBeGreaterThanOrEqual(2);
      const c = await lab().agent('c1').ping(a2.ip, 3);
      expect(c.received, c.output).toBeGreaterThanOrEqual(2);
    });
  },
);
