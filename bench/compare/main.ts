/**
 * Side-by-side comparison (root needed): the underlay, tinc (switch), n2n, wireguard-go and
 * rtcmesh L2/L3 between two hosts of the network-namespace lab, one after another in one run.
 * Writes bench/results/compare[-wan].{json,md,svg}.
 *
 *   pnpm bench                      # 3 runs, 10 s per iperf3 test
 *   pnpm bench --quick              # 1 run, short tests (development)
 *   pnpm bench --wan                # 20 ms RTT, ~0.5 % loss (round trip) through the lab's wire
 *   pnpm bench --paths raw,rtcmesh-l3 --runs 2 --seconds 5
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MeshLab } from '../../test/e2e/mesh-lab.js';
import { cpuSeconds, firstPing, iperfTcp, iperfUdpPps, peakRssMiB, pingRtts } from './measure.js';
import { n2nPath } from './paths/n2n.js';
import { rawPath } from './paths/raw.js';
import {
  RTCMESH_CIDR,
  rtcmeshL2Path,
  rtcmeshL2UnpatchedPath,
  rtcmeshL3Path,
  rtcmeshL3UnpatchedPath,
  rtcmeshNdcL2Path,
  rtcmeshNdcL3Path,
} from './paths/rtcmesh.js';
import { tincPath } from './paths/tinc.js';
import { wireguardPath } from './paths/wireguard.js';
import { markdownTable, type PathFigures, type PathResult, svgChart } from './report.js';
import { median as med, percentile, summarize } from './stats.js';
import type { BenchContext, PathUnderTest } from './types.js';

const ALL: PathUnderTest[] = [
  rawPath,
  tincPath,
  n2nPath,
  wireguardPath,
  rtcmeshL2Path,
  rtcmeshL3Path,
  // The optional native transport (`rtcmesh up --transport libdatachannel`).
  rtcmeshNdcL2Path,
  rtcmeshNdcL3Path,
];
/** Before/after of the werift patches: only with --werift-baseline or when named in --paths. */
const OPTIONAL: PathUnderTest[] = [rtcmeshL2UnpatchedPath, rtcmeshL3UnpatchedPath];

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    wan: { type: 'boolean', default: false },
    runs: { type: 'string' },
    seconds: { type: 'string' },
    paths: { type: 'string' },
    out: { type: 'string' },
    'werift-baseline': { type: 'boolean', default: false },
  },
});
const quick = values.quick ?? false;
const runs = Number(values.runs ?? (quick ? 1 : 3));
const seconds = Number(values.seconds ?? (quick ? 3 : 10));
const idlePings = quick ? 50 : 200;
const paths = values.paths
  ? [...ALL, ...OPTIONAL].filter((p) => values.paths!.split(',').includes(p.id))
  : values['werift-baseline']
    ? [...ALL, ...OPTIONAL]
    : ALL;
const profile = values.wan ? 'wan' : 'lan';
const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../results');
const base = values.out ?? `compare${profile === 'wan' ? '-wan' : ''}${quick ? '-quick' : ''}`;

if (process.getuid?.() !== 0) {
  console.error('bench/compare needs root (network namespaces)');
  process.exit(1);
}

interface RunFigures {
  tcp1Mbps: number;
  tcp4Mbps: number;
  udp64Kpps: number;
  rttIdle: number[];
  rttLoaded: number[];
  cpuSecondsPerGB: number;
  peakRssMiB: number;
  startToFirstPingS: number;
}

const log = (s: string) => process.stderr.write(`${s}\n`);

async function measure(ctx: BenchContext, path: PathUnderTest): Promise<RunFigures> {
  const t0 = Date.now();
  const running = await path.start(ctx);
  try {
    const startToFirstPingS = (await firstPing(ctx.a, running.target, t0, 90_000)) / 1000;
    const rttIdle = await pingRtts(ctx.a, running.target, idlePings, 0.01);
    const pids = running.daemonPids();
    const cpu0 = await cpuSeconds(pids);
    // Ping under load: during the single-stream TCP test (queueing delay the tunnel adds).
    const loadPings = Math.max(10, Math.floor((seconds - 1) * 20));
    const [tcp1, rttLoaded] = await Promise.all([
      iperfTcp(ctx.a, ctx.b, running.target, seconds, 1),
      new Promise((r) => setTimeout(r, 500)).then(() => pingRtts(ctx.a, running.target, loadPings, 0.05)),
    ]);
    const tcp4 = await iperfTcp(ctx.a, ctx.b, running.target, seconds, 4);
    const cpu1 = await cpuSeconds(pids);
    const gb = (tcp1.bytes + tcp4.bytes) / 1e9;
    const udp = await iperfUdpPps(ctx.a, ctx.b, running.target, Math.max(2, Math.round(seconds / 2)));
    const rss = await peakRssMiB(pids);
    return {
      tcp1Mbps: tcp1.mbps,
      tcp4Mbps: tcp4.mbps,
      udp64Kpps: udp.pps / 1000,
      rttIdle,
      rttLoaded,
      cpuSecondsPerGB: pids.length ? (cpu1 - cpu0) / gb : Number.NaN,
      peakRssMiB: pids.length ? rss : Number.NaN,
      startToFirstPingS,
    };
  } finally {
    await running.stop();
  }
}

function figures(rs: RunFigures[]): PathFigures {
  const per = (f: (r: RunFigures) => number) => summarize(rs.map(f));
  return {
    tcp1Mbps: per((r) => r.tcp1Mbps),
    tcp4Mbps: per((r) => r.tcp4Mbps),
    udp64Kpps: per((r) => r.udp64Kpps),
    rttIdleMedianMs: per((r) => med(r.rttIdle)),
    rttIdleP99Ms: per((r) => percentile(r.rttIdle, 99)),
    rttLoadedMedianMs: per((r) => med(r.rttLoaded)),
    rttLoadedP99Ms: per((r) => percentile(r.rttLoaded, 99)),
    cpuSecondsPerGB: per((r) => r.cpuSecondsPerGB),
    peakRssMiB: per((r) => r.peakRssMiB),
    startToFirstPingS: per((r) => r.startToFirstPingS),
  };
}

const hostB = values.wan ? { name: 'a2', link: { delayMs: 10, lossPct: 0.25 } } : 'a2';
const mesh = await MeshLab.start({
  world: { sites: { a: { nat: 'none', hosts: ['a1', hostB] } } },
  network: { mode: 'l2', cidr: RTCMESH_CIDR.l2 },
});
const tmp = await mkdtemp(join(tmpdir(), 'rtm-bench-'));
const stopAll = async () => {
  await mesh.teardown().catch((e: unknown) => log(`teardown: ${String(e)}`));
  await rm(tmp, { recursive: true, force: true });
};
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void stopAll().then(() => process.exit(130));
  });
}

const loadAtStart = (await import('node:os')).loadavg();
const results: PathResult[] = [];
const perPath = new Map<string, RunFigures[]>();
try {
  const a = mesh.world.host('a1');
  const b = mesh.world.host('a2');
  for (const p of paths) {
    const why = await p.unavailable();
    results.push({
      id: p.id,
      label: p.label,
      layer: p.layer,
      errors: [],
      ...(why ? { unavailable: why } : {}),
    });
    perPath.set(p.id, []);
  }
  for (let run = 0; run < runs; run++) {
    const runTmp = join(tmp, `run${run}`);
    await mkdir(runTmp, { recursive: true });
    const ctx: BenchContext = { mesh, a, b, run, tmp: runTmp };
    for (const p of paths) {
      const res = results.find((r) => r.id === p.id)!;
      if (res.unavailable) continue;
      log(`run ${run + 1}/${runs}: ${p.label} ...`);
      try {
        const f = await measure(ctx, p);
        perPath.get(p.id)!.push(f);
        log(
          `  tcp1 ${f.tcp1Mbps.toFixed(0)} tcp4 ${f.tcp4Mbps.toFixed(0)} Mbit/s, udp64 ${f.udp64Kpps.toFixed(1)} kpps, rtt ${med(
            f.rttIdle,
          ).toFixed(
            2,
          )}/${med(f.rttLoaded).toFixed(2)} ms, cpu ${f.cpuSecondsPerGB.toFixed(1)} s/GB, rss ${f.peakRssMiB.toFixed(
            0,
          )} MiB, first ping ${f.startToFirstPingS.toFixed(2)} s`,
        );
      } catch (err) {
        res.errors.push(String(err instanceof Error ? err.message : err).split('\n')[0]!);
        log(`  failed: ${String(err)}`);
      }
    }
  }
} finally {
  await stopAll();
}

for (const r of results) {
  const rs = perPath.get(r.id) ?? [];
  if (rs.length) r.figures = figures(rs);
}
const title = `rtcmesh vs tinc, n2n, wireguard-go — ${profile === 'wan' ? '20 ms RTT, 0.5 % loss (userspace wire)' : 'lab LAN (veth + bridge)'}, ${runs} run${runs > 1 ? 's' : ''}`;
const table = markdownTable(results, runs);
const doc = {
  date: new Date().toISOString(),
  profile,
  runs,
  secondsPerTest: seconds,
  machine: `${(await import('node:os')).cpus().length} cores (${(await import('node:os')).cpus()[0]?.model ?? '?'}), shared; kernel ${(await import('node:os')).release()}`,
  // The machine is shared: the 1-minute load average before and after the run, for context.
  loadAverage: { start: loadAtStart[0], end: (await import('node:os')).loadavg()[0] },
  topology:
    'two hosts of one lab site (veth -> Linux bridge -> veth), signaling server, coturn and n2n supernode in the lab server namespace',
  results,
};
await mkdir(RESULTS_DIR, { recursive: true });
await writeFile(join(RESULTS_DIR, `${base}.json`), `${JSON.stringify(doc, null, 2)}\n`);
await writeFile(join(RESULTS_DIR, `${base}.md`), `# ${title}\n\n${doc.date}, ${doc.machine}\n\n${table}\n`);
await writeFile(join(RESULTS_DIR, `${base}.svg`), svgChart(results, title));
console.log(table);
log(`wrote bench/results/${base}.{json,md,svg}`);
