/**
 * Side-by-side comparison (root needed): the underlay, tinc (switch), n2n, wireguard-go and
 * rtcmesh L2/L3 between two hosts of the network-namespace lab, one after another in one run.
 * Writes bench/results/compare[-wan].{json,md,svg}.
 *
 *   pnpm bench                      # LAN: 3 runs, 10 s per iperf3 test
 *   pnpm bench --quick              # 1 run, short tests (development)
 *   pnpm bench --wan                # the WAN matrix: RTT 0/20/80 ms x loss 0/0.25 % each way (wire)
 *   pnpm bench --fairness           # a tunnelled flow against a plain one through one bottleneck
 *   pnpm bench --paths raw,rtcmesh-l3 --runs 2 --seconds 5
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MeshLab } from '../../test/e2e/mesh-lab.js';
import { fairnessMarkdown, runFairness } from './fairness.js';
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
import { markdownTable, type PathResult, svgChart } from './report.js';
import { describeRun, figures, measurePath, type RunFigures } from './run-path.js';
import type { BenchContext, PathUnderTest } from './types.js';
import { runWanMatrix, WAN_CELLS, WAN_HOST, wanMarkdown, wanSvg } from './wan.js';

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
    fairness: { type: 'boolean', default: false },
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
const profile = values.wan ? 'wan' : values.fairness ? 'fairness' : 'lan';
const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '../results');
const base = values.out ?? `compare${profile === 'lan' ? '' : `-${profile}`}${quick ? '-quick' : ''}`;

if (process.getuid?.() !== 0) {
  console.error('bench/compare needs root (network namespaces)');
  process.exit(1);
}

const log = (s: string) => process.stderr.write(`${s}\n`);

// WAN and fairness: a2's link goes through the lab's wire (userspace: this kernel has no netem),
// set per cell. The LAN profile has no wire at all.
const hostB = profile === 'lan' ? WAN_HOST : { name: WAN_HOST, link: {} };
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

const os = await import('node:os');
const loadAtStart = os.loadavg();
const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), shared; kernel ${os.release()}`;
const topology =
  'two hosts of one lab site (veth -> Linux bridge -> veth), signaling server, coturn and n2n supernode in the lab server namespace' +
  (profile === 'lan' ? '' : "; a2's link through the lab's userspace wire (delay, per-packet loss, rate)");

/** The LAN table: every path, `runs` times, interleaved. */
async function lanProfile(): Promise<{ title: string; table: string; svg: string; data: unknown }> {
  const results: PathResult[] = [];
  const perPath = new Map<string, RunFigures[]>();
  const a = mesh.world.host('a1');
  const b = mesh.world.host(WAN_HOST);
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
        const f = await measurePath(ctx, p, { seconds, idlePings, udp: true });
        perPath.get(p.id)!.push(f);
        log(`  ${describeRun(f)}`);
      } catch (err) {
        res.errors.push(String(err instanceof Error ? err.message : err).split('\n')[0]!);
        log(`  failed: ${String(err)}`);
      }
    }
  }
  for (const r of results) {
    const rs = perPath.get(r.id) ?? [];
    if (rs.length) r.figures = figures(rs);
  }
  const title = `rtcmesh vs tinc, n2n, wireguard-go — lab LAN (veth + bridge), ${runs} run${runs > 1 ? 's' : ''}`;
  return { title, table: markdownTable(results, runs), svg: svgChart(results, title), data: { results } };
}

async function wanProfile(): Promise<{ title: string; table: string; svg: string; data: unknown }> {
  await mkdir(join(tmp, 'wan'), { recursive: true });
  const cells = await runWanMatrix(mesh, paths, {
    runs,
    seconds,
    tmp: join(tmp, 'wan'),
    log,
    cells: WAN_CELLS,
  });
  const title = `rtcmesh vs tinc, n2n, wireguard-go on WAN paths (userspace wire), ${runs} run${runs > 1 ? 's' : ''}`;
  return { title, table: wanMarkdown(cells, runs), svg: wanSvg(cells, title), data: { cells } };
}

async function fairnessProfile(): Promise<{
  title: string;
  table: string;
  svg: string | undefined;
  data: unknown;
}> {
  await mkdir(join(tmp, 'fair'), { recursive: true });
  const results = await runFairness(mesh, paths, { runs, seconds, tmp: join(tmp, 'fair'), log });
  const title = `A tunnelled TCP flow against a plain one through one bottleneck, ${runs} run${runs > 1 ? 's' : ''}`;
  return { title, table: fairnessMarkdown(results, runs), svg: undefined, data: { results } };
}

let out: { title: string; table: string; svg: string | undefined; data: unknown };
try {
  out =
    profile === 'wan'
      ? await wanProfile()
      : profile === 'fairness'
        ? await fairnessProfile()
        : await lanProfile();
} finally {
  await stopAll();
}
const doc = {
  date: new Date().toISOString(),
  profile,
  runs,
  secondsPerTest: seconds,
  machine,
  // The machine is shared: the 1-minute load average before and after the run, for context.
  loadAverage: { start: loadAtStart[0], end: os.loadavg()[0] },
  topology,
  ...(out.data as object),
};
await mkdir(RESULTS_DIR, { recursive: true });
await writeFile(join(RESULTS_DIR, `${base}.json`), `${JSON.stringify(doc, null, 2)}\n`);
await writeFile(
  join(RESULTS_DIR, `${base}.md`),
  `# ${out.title}\n\n${doc.date}, ${machine}\n\n${out.table}\n`,
);
if (out.svg) await writeFile(join(RESULTS_DIR, `${base}.svg`), out.svg);
console.log(out.table);
log(`wrote bench/results/${base}.{json,md${out.svg ? ',svg' : ''}}`);
