/**
 * Figures of a real mesh in the lab (root needed): time from `rtcmesh up` to the first ping reply
 * over the overlay (direct: cone<->cone; relayed: cone<->symmetric), overlay RTT against the
 * underlay, and TCP throughput (iperf3) on both paths. Prints a table and writes
 * bench/results/mesh.json. Run: `npx tsx bench/mesh/lab-figures.ts [runs]`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LabAgent, MeshLab } from '../../test/e2e/mesh-lab.js';
import { median, summarize } from '../compare/stats.js';

const RUNS = Number(process.argv[2] ?? 3);
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '../results/mesh.json');

/** Starts `host`'s agent and pings `target` from it every 100 ms until a reply: ms from `up`. */
async function upToFirstPing(mesh: MeshLab, host: string, target: string): Promise<number> {
  const started = Date.now();
  const up = mesh.startAgent(host);
  const h = mesh.world.host(host);
  for (;;) {
    const r = await h.exec('ping', ['-n', '-c', '1', '-W', '0.2', target], { timeoutMs: 3000 });
    if (r.code === 0) break;
    if (Date.now() - started > 60_000) throw new Error(`${host}: no reply from ${target} in 60 s`);
    if (r.stderr.includes('unreachable') || r.stdout.includes('unreachable'))
      await new Promise((res) => setTimeout(res, 100));
  }
  const ms = Date.now() - started;
  await up;
  return ms;
}

async function rtt(agent: LabAgent, ip: string): Promise<number> {
  const r = await agent.ping(ip, 20, 0.1);
  return median(r.rtts);
}

async function iperf(client: LabAgent, server: LabAgent, ip: string): Promise<number> {
  const s = server.host.spawn('iperf3', ['-s', '-1', '-p', '5299', '--forceflush'], { label: 'iperf3-s' });
  await s.waitForLine(/Server listening/, 10_000);
  const r = await client.host.exec('iperf3', ['-c', ip, '-p', '5299', '-t', '8', '-J'], {
    timeoutMs: 30_000,
  });
  await s.stop(2000);
  const j = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
  return j.end.sum_received.bits_per_second / 1e6;
}

const upDirect: number[] = [];
const upRelay: number[] = [];
const rttUnder: number[] = [];
const rttDirect: number[] = [];
const rttRelay: number[] = [];
const tcpDirect: number[] = [];
const tcpRelay: number[] = [];

for (let run = 0; run < RUNS; run++) {
  const mesh = await MeshLab.start({
    world: {
      sites: {
        a: { nat: 'cone', hosts: ['a1'] },
        b: { nat: 'cone', hosts: ['b1'] },
        c: { nat: 'symmetric', hosts: ['c1'] },
      },
    },
    network: { mode: 'l3', cidr: '10.99.0.0/24' },
  });
  try {
    const a1 = await mesh.startAgent('a1');
    const aIp = await a1.address();
    upDirect.push(await upToFirstPing(mesh, 'b1', aIp));
    upRelay.push(await upToFirstPing(mesh, 'c1', aIp));
    const b1 = mesh.agent('b1');
    const c1 = mesh.agent('c1');
    await b1.waitConnected('a1');
    await c1.waitConnected('a1');
    rttUnder.push(await rtt(b1, mesh.world.server.ip));
    rttDirect.push(await rtt(b1, aIp));
    rttRelay.push(await rtt(c1, aIp));
    tcpDirect.push(await iperf(b1, a1, aIp));
    tcpRelay.push(await iperf(c1, a1, aIp));
  } finally {
    await mesh.teardown();
  }
  process.stderr.write(`run ${run + 1}/${RUNS} done\n`);
}

const result = {
  date: new Date().toISOString(),
  machine: '2 cores, lab in network namespaces (no WAN delay)',
  runs: RUNS,
  upToFirstPingMs: { direct: summarize(upDirect), relayed: summarize(upRelay) },
  rttMs: {
    underlayHostToServer: summarize(rttUnder),
    overlayDirect: summarize(rttDirect),
    overlayRelayed: summarize(rttRelay),
  },
  tcpMbps: { direct: summarize(tcpDirect), relayed: summarize(tcpRelay) },
};
await mkdir(dirname(RESULTS), { recursive: true });
await writeFile(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
const f = (s: { median: number; min: number; max: number }, d = 1) =>
  `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
console.log(`| figure | median (range), ${RUNS} runs |
| --- | --- |
| rtcmesh up -> first ping, direct (cone<->cone) | ${f(result.upToFirstPingMs.direct, 0)} ms |
| rtcmesh up -> first ping, relayed (cone<->symmetric) | ${f(result.upToFirstPingMs.relayed, 0)} ms |
| RTT underlay host -> server | ${f(result.rttMs.underlayHostToServer, 2)} ms |
| RTT overlay direct / relayed | ${f(result.rttMs.overlayDirect, 2)} / ${f(result.rttMs.overlayRelayed, 2)} ms |
| TCP (iperf3, 8 s) direct / relayed | ${f(result.tcpMbps.direct)} / ${f(result.tcpMbps.relayed)} Mbit/s |`);
