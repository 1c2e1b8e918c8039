import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execCommand, run } from './exec.js';
import {
  type Coturn,
  Lab,
  labNamespaces,
  listNamespaces,
  probeMapping,
  probeTcp,
  startCoturn,
  startReflector,
  stunBinding,
  UdpPeer,
  type World,
} from './index.js';
import { newRunId } from './names.js';
import { scriptCommand } from './shaper.js';

// Throws when CI is set and a prerequisite is missing: CI never skips silently.
const skip = await Lab.labSkipReason();
if (skip) console.warn(`skipping lab tests: ${skip}`);

/** Minimum RTT (ms) reported by `ping -c N`. */
async function minRtt(world: World, host: string, target: string, count = 4): Promise<number> {
  const r = await world
    .host(host)
    .exec('ping', ['-n', '-c', String(count), '-i', '0.2', '-W', '2', target], { timeoutMs: 15_000 });
  const m = /= ([\d.]+)\/[\d.]+\/[\d.]+\//.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`ping ${target} from ${host} failed: ${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

/**
 * Counts UDP datagrams arriving on a site router's WAN for `to` (IP:PORT), whatever the filter then does
 * with them: a target-less rule in the raw table, added by the test as an instrument.
 */
async function countArrivals(world: World, site: string, to: string): Promise<() => Promise<number>> {
  const [ip, port] = to.split(':');
  const rule = ['-i', 'wan', '-p', 'udp', '-d', ip!, '--dport', port!];
  const router = world.site(site).router;
  const add = await router.exec('iptables', ['-t', 'raw', '-I', 'PREROUTING', ...rule]);
  if (add.code !== 0) throw new Error(`iptables: ${add.stderr}`);
  return async () => {
    const r = await router.exec('iptables', ['-t', 'raw', '-L', 'PREROUTING', '-v', '-x', '-n']);
    const line = r.stdout.split('\n').find((l) => l.includes(`dpt:${port}`));
    return Number(line?.trim().split(/\s+/)[0] ?? 0);
  };
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const DELAY_MS = 30;
const HOST_DELAY_MS = 10;
const REFLECT_PORT = 3479;

describe.skipIf(skip !== undefined)('network lab', () => {
  let world: World;
  let coturn: Coturn;

  beforeAll(async () => {
    world = await Lab.build({
      sites: {
        a: { nat: 'cone', hosts: ['a1'] },
        b: { nat: 'cone', hosts: ['b1'] },
        s: { nat: 'symmetric', hosts: ['s1'] },
        c: { nat: 'none', hosts: ['c1'] },
        u: { nat: 'cone', udp: 'blocked', hosts: ['u1'], lan: '10.1.4.0/24' },
        l: {
          nat: 'cone',
          hosts: ['l1', { name: 'l2', link: { delayMs: HOST_DELAY_MS } }],
          wan: { delayMs: DELAY_MS },
        },
      },
      server: { signalingPort: 8443 },
    });
    const srv = world.server;
    await Promise.all([
      // Two addresses of the server, so mapping behaviour per destination is visible.
      startReflector(srv, [
        { ip: srv.ip, port: REFLECT_PORT },
        { ip: srv.altIp, port: REFLECT_PORT },
        { ip: srv.ip, port: srv.signalingPort },
      ]),
      startReflector(world.host('c1'), [{ ip: world.host('c1').ip, port: REFLECT_PORT }]),
    ]);
    coturn = await startCoturn(srv, { secret: 'lab-secret' });
  });

  afterAll(async () => {
    if (!world) return;
    const runId = world.runId;
    await world.teardown();
    expect(await labNamespaces(runId)).toEqual([]);
  });

  const reflectors = (): Array<{ ip: string; port: number }> => [
    { ip: world.server.ip, port: REFLECT_PORT },
    { ip: world.server.altIp, port: REFLECT_PORT },
  ];

  test('hosts behind NATs reach public hosts by ping and by TCP, seen from their NAT address', async () => {
    for (const h of ['a1', 's1']) {
      const site = world.host(h).site!;
      expect(await minRtt(world, h, world.server.ip, 2)).toBeGreaterThan(0);
      expect(await minRtt(world, h, world.host('c1').ip, 2)).toBeGreaterThan(0);
      const seen = await probeTcp(world.host(h), { ip: world.server.ip, port: REFLECT_PORT });
      expect(seen?.split(':')[0]).toBe(world.site(site).wanIp);
      const seenByC1 = await probeTcp(world.host(h), { ip: world.host('c1').ip, port: REFLECT_PORT });
      expect(seenByC1?.split(':')[0]).toBe(world.site(site).wanIp);
    }
  });

  test('cone NAT keeps one mapping for every destination; symmetric NAT makes one per destination', async () => {
    const cone = await probeMapping(world.host('a1'), reflectors());
    const [c1, c2] = cone.mappings.map((m) => m.mapped);
    expect(c1).toMatch(new RegExp(`^${world.site('a').wanIp.replaceAll('.', '\\.')}:\\d+$`));
    expect(c2).toBe(c1);

    // Three destinations: random ports all coinciding by chance is ~1e-9 likely, not a flake source.
    const third = { ip: world.server.ip, port: world.server.signalingPort };
    const sym = await probeMapping(world.host('s1'), [...reflectors(), third]);
    const mapped = sym.mappings.map((m) => m.mapped);
    for (const m of mapped) expect(m?.split(':')[0]).toBe(world.site('s').wanIp);
    expect(new Set(mapped).size).toBeGreaterThan(1);

    const none = await probeMapping(world.host('c1'), reflectors());
    const localPort = none.local.split(':')[1];
    for (const m of none.mappings) expect(m.mapped).toBe(`${world.host('c1').ip}:${localPort}`);
  });

  test('a cone NAT drops unsolicited UDP, and lets it in after the host punched a hole', async () => {
    const pa = await UdpPeer.start(world.host('a1'), 40_000);
    const pb = await UdpPeer.start(world.host('b1'), 40_001);
    const reflector = reflectors()[0]!;
    const mappedA = await pa.mappedVia(reflector);
    const mappedB = await pb.mappedVia(reflector);
    // b1 writes first: a's NAT has no mapping towards b yet, so this must not reach a1 (and must not
    // occupy a's public port in conntrack either, or the next steps would fail).
    const arrivedAtA = await countArrivals(world, 'a', mappedA);
    pb.send(mappedA, 'unsolicited');
    // Wait until it reached a's NAT (so b's NAT has its mapping towards a, and a's NAT has decided).
    await waitUntil('the unsolicited datagram reaches the NAT of a', async () => (await arrivedAtA()) > 0);
    // a1 punches towards b's mapping; b's NAT lets it in (b1 already wrote to mappedA).
    pa.send(mappedB, 'punch');
    await pb.receive(/punch/);
    pb.send(mappedA, 'after-punch');
    const got = await pa.receive(/after-punch/);
    expect(got.from).toBe(mappedB);
    // Same path, sent earlier: had 'unsolicited' been let in, it would have arrived first.
    expect(pa.received().map((r) => r.text)).not.toContain('unsolicited');
    await Promise.all([pa.process.stop(), pb.process.stop()]);
  });

  test('udp: blocked lets only TCP out; blockUdp/unblockUdp switch it at run time', async () => {
    const blocked = await probeMapping(world.host('u1'), reflectors(), { timeoutMs: 1000 });
    expect(blocked.mappings.map((m) => m.mapped)).toEqual([null, null]);
    expect(await probeTcp(world.host('u1'), reflectors()[0]!)).toMatch(/^198\.18\.1\.\d+:\d+$/);

    await world.blockUdp('a');
    const off = await probeMapping(world.host('a1'), reflectors(), { timeoutMs: 1000 });
    expect(off.mappings.map((m) => m.mapped)).toEqual([null, null]);
    expect(await probeTcp(world.host('a1'), reflectors()[0]!)).toBeDefined();
    await world.unblockUdp('a');
    const on = await probeMapping(world.host('a1'), reflectors());
    expect(on.mappings.every((m) => m.mapped !== null)).toBe(true);
  });

  test('blockDirect drops UDP between two sites and leaves the server reachable', async () => {
    const c1 = { ip: world.host('c1').ip, port: REFLECT_PORT };
    await world.blockDirect('a', 'c');
    const r = await probeMapping(world.host('a1'), [c1, reflectors()[0]!], { timeoutMs: 1000 });
    expect(r.mappings[0]!.mapped).toBeNull();
    expect(r.mappings[1]!.mapped).not.toBeNull();
    await world.unblockDirect('a', 'c');
    const back = await probeMapping(world.host('a1'), [c1]);
    expect(back.mappings[0]!.mapped).not.toBeNull();
  });

  test('cutServer drops signaling (or the whole server), restoreServer brings it back', async () => {
    const signaling = { ip: world.server.ip, port: world.server.signalingPort };
    expect(await probeTcp(world.host('a1'), signaling)).toBeDefined();
    await world.cutServer('signaling');
    expect(await probeTcp(world.host('a1'), signaling, 1000)).toBeUndefined();
    // TURN/STUN stay up during a signaling cut.
    expect(await stunBinding(world.host('a1'), { ip: world.server.ip, port: 3478 })).toBeDefined();
    await world.cutServer('all');
    expect(await stunBinding(world.host('a1'), { ip: world.server.ip, port: 3478 }, 1000)).toBeUndefined();
    await world.restoreServer();
    expect(await probeTcp(world.host('a1'), signaling)).toBeDefined();
  });

  test('coturn answers STUN from behind a NAT with the NAT address, and listens on TCP and TLS', async () => {
    const mapped = await stunBinding(world.host('a1'), { ip: world.server.ip, port: 3478 });
    expect(mapped?.split(':')[0]).toBe(world.site('a').wanIp);
    // UDP is blocked at site u: TURN over TCP and TLS is what it has.
    for (const port of [3478, 5349]) {
      const r = await world
        .host('u1')
        .exec('bash', ['-c', `exec 3<>/dev/tcp/${world.server.ip}/${port}`], { timeoutMs: 5000 });
      expect(r.code).toBe(0);
    }
    expect(coturn.urls.turns).toBe(`turns:${world.server.ip}:5349?transport=tcp`);
  });

  test('WAN delay shows up in ping RTT, and setWan changes it', async () => {
    // The delay applies in each direction, so a round trip crosses it twice.
    expect(await minRtt(world, 'l1', world.server.ip)).toBeGreaterThanOrEqual(2 * DELAY_MS);
    await world.setWan('l', { delayMs: 2 * DELAY_MS });
    expect(await minRtt(world, 'l1', world.server.ip)).toBeGreaterThanOrEqual(4 * DELAY_MS);
    await world.setWan('l', { delayMs: DELAY_MS });
  });

  test('a host link delay shows up between hosts of one LAN, and setHostLink changes it', async () => {
    expect(await minRtt(world, 'l1', world.host('l2').ip)).toBeGreaterThanOrEqual(2 * HOST_DELAY_MS);
    await world.setHostLink('l2', { delayMs: 3 * HOST_DELAY_MS });
    expect(await minRtt(world, 'l1', world.host('l2').ip)).toBeGreaterThanOrEqual(6 * HOST_DELAY_MS);
  });
});

describe.skipIf(skip !== undefined)('lab lifecycle', () => {
  test('teardown removes every namespace of the run, and reapStale removes those of dead runs', async () => {
    const w = await Lab.build({ sites: { x: { nat: 'cone', hosts: ['x1'] } } });
    const names = w.namespaceNames();
    expect((await listNamespaces()).filter((n) => names.includes(n))).toHaveLength(names.length);
    w.host('x1').spawn('sleep', ['600']);
    await w.teardown();
    expect((await listNamespaces()).filter((n) => names.includes(n))).toEqual([]);

    // A namespace named after a process that no longer exists is a leftover of a dead run
    // (4194305 is above the largest possible pid_max, so never alive).
    const stale = `rtm${newRunId()}-4194305-inet`;
    await run('ip', ['netns', 'add', stale]);
    await Lab.reapStale(); // (a concurrent run may reap it first: what counts is that it is gone)
    expect(await listNamespaces()).not.toContain(stale);
  });

  test('a run that dies leaves nothing behind: exit hook on a crash, reapStale after SIGKILL', async () => {
    const script = new URL('./testdata/dying-run.ts', import.meta.url).pathname;
    const runOf = (out: string): { runId: string; sleeper: number } => {
      const m = /^run (\w{4}) sleeper (\d+)$/m.exec(out);
      if (!m) throw new Error(`dying run printed no run id: ${out}`);
      return { runId: m[1]!, sleeper: Number(m[2]) };
    };
    // A killed process whose parent died may stay a zombie (state Z) until init reaps it: dead too.
    const alive = (pid: number): boolean => {
      try {
        return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false;
      }
    };

    const [node, ...crashArgs] = scriptCommand(script, ['throw']);
    const crashed = await execCommand(node!, crashArgs, { timeoutMs: 30_000 });
    expect(crashed.code).not.toBe(0);
    const c = runOf(crashed.stdout);
    expect(await labNamespaces(c.runId)).toEqual([]);
    expect(alive(c.sleeper)).toBe(false);

    const [, ...killArgs] = scriptCommand(script, ['kill']);
    const killed = await execCommand(node!, killArgs, { timeoutMs: 30_000 });
    expect(killed.signal).toBe('SIGKILL');
    const k = runOf(killed.stdout);
    expect((await labNamespaces(k.runId)).length).toBeGreaterThan(0);
    await Lab.reapStale();
    expect(await labNamespaces(k.runId)).toEqual([]);
    expect(alive(k.sleeper)).toBe(false);
  });
});
