import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PromSample, parsePrometheusText } from '@rtcmesh/testkit';
import { describe, expect, test } from 'vitest';
import { labSkipReason } from '../lab/index.js';
import { useMeshLab } from './fixture.js';
import { waitFor } from './mesh-lab.js';
import { STREAM_BYTES, streamIntact } from './stream.js';

const SITE_A_LAN = '10.1.1.0/24';
const HOSTILE = join(dirname(fileURLToPath(import.meta.url)), 'tools/hostile-member.ts');

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
          b: { nat: 'cone', hosts: ['b1', 'b2'] },
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
      // b1 takes subnet routes (--accept-routes), c1 does not (the default, so a laptop is never rerouted).
      agents: [
        // a1 also serves Prometheus metrics (issue 19), scraped while TCP crosses.
        { host: 'a1', advertiseRoutes: [SITE_A_LAN], args: ['--metrics-listen', '127.0.0.1:9101'] },
        { host: 'b1', args: ['--accept-routes'] },
        'c1',
      ],
    });

    test('every pair pings', async () => {
      expect(await lab().pingEveryPair()).toEqual([]);
    });

    test('nodes reach each other by name: <node>.<network>.rtcmesh.internal from the agent’s resolver', async () => {
      const mesh = lab();
      const c1 = mesh.agent('c1');
      const status = await c1.status();
      expect(status.dns).toMatchObject({ zone: 'lab.rtcmesh.internal', resolver: 'none' });
      // No systemd-resolved in the lab: point the namespace's resolver at c1's agent, as an operator
      // would point dnsmasq at it for the zone.
      const dir = `/etc/netns/${c1.host.ns}`;
      await mkdir(dir, { recursive: true });
      await writeFile(`${dir}/resolv.conf`, `nameserver ${status.dns!.listen.split(':')[0]}\n`);
      try {
        // (A dual-stack name: -4 and -6 pick the family; a bare ping takes what getaddrinfo prefers.)
        const r = await c1.host.exec('ping', ['-4', '-n', '-c', '2', '-W', '2', 'b1.lab.rtcmesh.internal'], {
          timeoutMs: 15_000,
        });
        expect(r.code, r.stdout + r.stderr).toBe(0);
        expect(r.stdout).toContain(`(${await mesh.agent('b1').address()})`);
        // Dual stack: the name has an AAAA record too, and ping -6 reaches it over the overlay.
        const v6 = await c1.host.exec('ping', ['-6', '-n', '-c', '2', '-W', '2', 'b1.lab.rtcmesh.internal'], {
          timeoutMs: 15_000,
        });
        expect(v6.code, v6.stdout + v6.stderr).toBe(0);
        expect(v6.stdout).toContain(`(${await mesh.agent('b1').address6()})`);
        const missing = await c1.host.exec('getent', ['hosts', 'nobody.lab.rtcmesh.internal']);
        expect(missing.code).not.toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      expect((await c1.status()).dns?.answered).toBeGreaterThanOrEqual(1);
    });

    test('dual stack: every pair pings over IPv6; 50 MB of TCP crosses over IPv6 intact, relayed to the symmetric site', async () => {
      const mesh = lab();
      const a1 = mesh.agent('a1');
      const c1 = mesh.agent('c1');
      const status = await a1.status();
      expect(status.network.cidr6).toMatch(/^fd[0-9a-f:]+::\/64$/);
      expect(status.node.addresses.some((a) => a.startsWith(status.network.cidr6!.split('::')[0]!))).toBe(
        true,
      );
      const failed: string[] = [];
      for (const from of ['a1', 'b1', 'c1'])
        for (const to of ['a1', 'b1', 'c1']) {
          if (from === to) continue;
          const r = await mesh.agent(from).ping(await mesh.agent(to).address6(), 3);
          if (r.received < 2) failed.push(`${from} -> ${to}: ${r.received}/3\n${r.output}`);
        }
      expect(failed).toEqual([]);
      const { sent, received } = await streamIntact(a1, c1, await c1.address6(), 5304);
      console.log(
        `figure: 50 MB of TCP over IPv6 a1 -> c1 (relayed): ${((STREAM_BYTES * 8) / (sent.ms ?? 1) / 1000).toFixed(0)} Mbit/s`,
      );
      expect(received.bytes).toBe(STREAM_BYTES);
      expect(received.sha256).toBe(sent.sha256);
    });

    test('the metrics endpoint shows the per-peer counters moving during a TCP transfer', async () => {
      const mesh = lab();
      const a1 = mesh.agent('a1');
      const b1 = mesh.agent('b1');
      const scrape = async () => {
        const r = await a1.host.exec('node', [
          '-e',
          "fetch('http://127.0.0.1:9101/metrics').then(async (r) => process.stdout.write(r.status + '\\n' + (await r.text())))",
        ]);
        const [status, ...body] = r.stdout.split('\n');
        expect(status).toBe('200');
        return parsePrometheusText(body.join('\n')).samples;
      };
      const txTo = (samples: PromSample[], peer: string) =>
        samples.find((s) => s.name === 'rtcmesh_peer_transmit_bytes_total' && s.labels.peer === peer)
          ?.value ?? 0;
      const before = await scrape();
      // 16 MiB spread over 4 s: a flow that is still running while it is scraped.
      const transfer = streamIntact(a1, b1, await b1.address(), 5309, 16 * 1024 * 1024, 4);
      const seen: number[] = [txTo(before, 'b1')];
      while (seen.length < 4) {
        await new Promise((r) => setTimeout(r, 500));
        seen.push(txTo(await scrape(), 'b1'));
      }
      const { sent, received } = await transfer;
      expect(received.sha256).toBe(sent.sha256);
      const after = await scrape();
      seen.push(txTo(after, 'b1'));
      console.log(`figure: a1 -> b1 bytes by scrape during 16 MiB of TCP over 4 s: ${seen.join(' ')}`);
      expect(seen.at(-1)! - seen[0]!).toBeGreaterThan(16 * 1024 * 1024);
      // It moved at every scrape while the flow ran, not only at the end.
      for (let i = 1; i < 4; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
      const up = after.find((s) => s.name === 'rtcmesh_peer_up' && s.labels.peer === 'b1');
      expect(up?.value).toBe(1);
      expect(after.some((s) => s.name === 'rtcmesh_peer_rtt_seconds' && s.labels.peer === 'b1')).toBe(true);
      expect(after.some((s) => s.name === 'rtcmesh_peer_path' && s.labels.peer === 'b1')).toBe(true);
      expect(
        after.some((s) => s.name === 'rtcmesh_device_io_total' && s.labels.counter === 'framesRead'),
      ).toBe(true);
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

    test('a subnet route waits for an admin; approved, a host with --accept-routes reaches the LAN behind it, one without is not rerouted', async () => {
      const a2 = lab().world.host('a2');
      await lab().agent('b1').waitConnected('a1');
      // Advertised, not yet approved: listed as pending, and no member routes it.
      const pending = await lab().admin(['route', 'list', 'lab', '--json']);
      expect(JSON.parse(pending.stdout)).toContainEqual(
        expect.objectContaining({ node: 'a1', prefix: SITE_A_LAN, state: 'pending' }),
      );
      expect((await lab().agent('b1').status()).routes?.installed).toEqual([]);
      const approve = await lab().admin(['route', 'approve', 'lab', 'a1', SITE_A_LAN]);
      expect(approve.code, approve.stderr).toBe(0);
      await waitFor(
        'b1 to install the approved route',
        async () =>
          (await lab().agent('b1').status()).routes?.installed.includes(SITE_A_LAN) ? true : undefined,
        10_000,
      );
      const r = await lab().agent('b1').ping(a2.ip, 3);
      expect(r.received, r.output).toBeGreaterThanOrEqual(2);
      expect((await lab().agent('b1').status()).routes?.installed).toContain(SITE_A_LAN);
      // c1 runs without --accept-routes: a1's LAN is offered, listed, and not in its kernel.
      await waitFor(
        'c1 to hear of the approved route',
        async () => ((await lab().agent('c1').status()).routes?.refused.length ? true : undefined),
        10_000,
      );
      const c1 = await lab().agent('c1').status();
      expect(c1.routes).toMatchObject({
        acceptRoutes: false,
        installed: [],
        refused: [{ peerName: 'a1', prefix: SITE_A_LAN, kind: 'not-accepted' }],
      });
      const route = await lab().world.host('c1').exec('ip', ['route', 'show', SITE_A_LAN]);
      expect(route.stdout.trim()).toBe('');
    });

    test('a member advertising routes that would cut the others off is refused; the others keep routes, links and traffic', async () => {
      const server = lab().world.server;
      // Half the internet and the signaling server itself: what one member did to all others before.
      const hostile = await lab().startAgent('b2', {
        advertiseRoutes: ['128.0.0.0/1', `${server.ip}/32`],
        args: ['--accept-routes'],
      });
      await hostile.process.waitForLine(/advertisement|shorter than \/8/, 20_000);
      await lab().agent('b1').waitConnected('b2');
      for (const name of ['a1', 'b1', 'c1']) {
        const host = lab().world.host(name);
        const kernel = await host.exec('ip', ['-4', 'route', 'show', 'dev', 'rtm0']);
        expect(kernel.stdout, `${name}'s routes through the overlay`).not.toMatch(/128\.0\.0\.0|server/);
        expect((await lab().agent(name).status()).server.connected, `${name} keeps the server`).toBe(true);
      }
      const b1 = lab().agent('b1');
      expect((await b1.ping(await lab().agent('a1').address(), 3)).received).toBeGreaterThanOrEqual(2);
      expect((await b1.ping(lab().world.host('a2').ip, 3)).received).toBeGreaterThanOrEqual(2);
      // The admin sees it: counted in /metrics, and the hostile node has no routes at all.
      const metrics = await server.exec('node', [
        '-e',
        `fetch(${JSON.stringify(`${lab().serverUrl}/metrics`)}).then(r => r.text()).then(t => process.stdout.write(t))`,
      ]);
      expect(metrics.stdout).toMatch(/rtcmesh_rejected_inputs_total\{reason="invalid-advertisement"\} [1-9]/);
      const peers = (await b1.status()).peers.find((p) => p.name === 'b2');
      expect(peers?.state).toBe('connected');
    });

    test('a member driven by a hostile client: every bad input is refused and shown; the others keep routes, links and traffic', async () => {
      const mesh = lab();
      const server = mesh.world.server;
      const routesBefore = await Promise.all(
        ['a1', 'b1', 'c1'].map(async (n) => (await mesh.world.host(n).exec('ip', ['-4', 'route'])).stdout),
      );
      const hostile = mesh.world
        .host('a2')
        .spawnScript(
          HOSTILE,
          [mesh.serverUrl, mesh.joinKey, 'mallory', server.ip, '10.99.0.0/24', '10.1.1.0/25'],
          {
            label: 'hostile-member',
          },
        );
      await hostile.waitForLine(/"event":"done"/, 60_000);
      const lines = hostile
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map(
          (l) =>
            JSON.parse(l) as { event: string; case?: string; code?: string; message?: string } & Record<
              string,
              unknown
            >,
        );
      const refused = Object.fromEntries(lines.filter((l) => l.event !== 'flood').map((l) => [l.case, l]));
      for (const c of [
        'short-prefix',
        'half-the-internet',
        'never-routed',
        'link-local-v6',
        'short-v6',
        'server-address',
        'network-cidr',
      ])
        expect(refused[c], c).toMatchObject({ event: 'refused', code: 'invalid-advertisement' });
      for (const c of ['too-many-bindings', 'too-many-ips'])
        expect(refused[c], c).toMatchObject({ event: 'refused', code: 'invalid-message' });
      expect(refused['small-order-key']).toMatchObject({
        event: 'refused',
        message: expect.stringMatching(/small order/),
      });
      const flood = lines.find((l) => l.event === 'flood')!;
      expect(flood.rateLimited as number, JSON.stringify(flood)).toBeGreaterThan(0);

      // The admin sees it: the more specific route for a1's LAN waits for approval and reaches nobody.
      const list = await mesh.admin(['route', 'list', 'lab', '--json']);
      expect(list.code, list.stderr).toBe(0);
      const mallory = (JSON.parse(list.stdout) as { node: string; prefix: string; state: string }[]).filter(
        (r) => r.node === 'mallory',
      );
      expect(mallory).toHaveLength(2);
      expect(mallory).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ prefix: '10.1.1.0/25', state: 'pending' }),
          expect.objectContaining({ prefix: '0.0.0.0/0', state: 'pending' }),
        ]),
      );
      const metrics = await server.exec('node', [
        '-e',
        `fetch(${JSON.stringify(`${mesh.serverUrl}/metrics`)}).then(r => r.text()).then(t => process.stdout.write(t))`,
      ]);
      expect(metrics.stdout).toMatch(
        /rtcmesh_rejected_inputs_total\{reason="invalid-advertisement"\} ([89]|\d\d)/,
      );
      expect(metrics.stdout).toMatch(/rtcmesh_rejected_inputs_total\{reason="invalid-message"\} [1-9]/);

      // The others: the same kernel routes, every link up, the LAN still through a1, the server serving.
      const routesAfter = await Promise.all(
        ['a1', 'b1', 'c1'].map(async (n) => (await mesh.world.host(n).exec('ip', ['-4', 'route'])).stdout),
      );
      expect(routesAfter).toEqual(routesBefore);
      expect(await mesh.pingEveryPair()).toEqual([]);
      const b1 = mesh.agent('b1');
      expect((await b1.ping(mesh.world.host('a2').ip, 3)).received).toBeGreaterThanOrEqual(2);
      for (const n of ['a1', 'b1', 'c1'])
        expect((await mesh.agent(n).status()).server.connected, `${n} keeps the server`).toBe(true);
      expect((await mesh.admin(['key', 'create', 'lab'])).code).toBe(0);
    });
  },
);
