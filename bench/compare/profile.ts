/**
 * CPU profile of the two rtcmesh agents during one iperf3 TCP run between two lab hosts (root).
 * The agents run with a preload that profiles between two SIGUSR2 (cpu-prof-preload.mjs); their profiles are summarised: self time by
 * function and by module (werift, rtcmesh packages, node internals, GC).
 * Run: npx tsx bench/compare/profile.ts [--mode l3|l2] [--seconds 8] [--streams 1] [--tag t] [--unpatched]
 * Writes bench/results/profile-<mode>[-tag].json (the top entries); the .cpuprofile files stay in
 * $TMPDIR/rtm-profiles/.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MeshLab } from '../../test/e2e/mesh-lab.js';
import { firstPing, iperfTcp } from './measure.js';
import { RTCMESH_CIDR } from './paths/rtcmesh.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    mode: { type: 'string', default: 'l3' },
    seconds: { type: 'string', default: '8' },
    streams: { type: 'string', default: '1' },
    tag: { type: 'string', default: '' },
    /** Agents load werift without patches/werift@0.25.2.patch (the "before" profile). */
    unpatched: { type: 'boolean', default: false },
  },
});
const mode = values.mode === 'l2' ? 'l2' : 'l3';
const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '../results');
const profDir = join(tmpdir(), `rtm-prof-${process.pid}`);
await rm(profDir, { recursive: true, force: true });
await mkdir(profDir, { recursive: true });

const mesh = await MeshLab.start({
  world: { sites: { a: { nat: 'none', hosts: ['a1', 'a2'] } } },
  network: { mode, cidr: RTCMESH_CIDR[mode] },
});
let mbps = 0;
try {
  const preload = join(dirname(fileURLToPath(import.meta.url)), 'cpu-prof-preload.mjs');
  const unpatchedHook = join(dirname(fileURLToPath(import.meta.url)), 'werift-unpatched.mjs');
  const env = {
    NODE_OPTIONS: `--import=${preload}${values.unpatched ? ` --import=${unpatchedHook}` : ''}`,
    RTM_CPU_PROF_DIR: profDir,
  };
  const [, b] = await Promise.all([
    mesh.startAgent('a1', { name: 'pa', env }),
    mesh.startAgent('a2', { name: 'pb', env }),
  ]);
  const target = await b.address();
  await firstPing(mesh.world.host('a1'), target, Date.now(), 60_000);
  const pids = [...mesh.agents.values()].map((x) => x.process.pid ?? 0).filter((p) => p > 0);
  const toggle = () => {
    for (const pid of pids) process.kill(pid, 'SIGUSR2');
  };
  toggle(); // start profiling
  const r = await iperfTcp(
    mesh.world.host('a1'),
    mesh.world.host('a2'),
    target,
    Number(values.seconds),
    Number(values.streams),
  );
  toggle(); // stop and write
  await new Promise((res) => setTimeout(res, 1000));
  mbps = r.mbps;
  process.stderr.write(`iperf3: ${mbps.toFixed(1)} Mbit/s\n`);
  for (const ag of mesh.agents.values()) {
    const st = await ag.status();
    process.stderr.write(`${ag.name} counters: ${JSON.stringify(st.counters)}\n`);
  }
} finally {
  await mesh.teardown();
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function moduleOf(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)' || fn === '(program)') return fn;
  if (url.includes('/werift'))
    return `werift:${url
      .replace(/.*\/werift[^/]*\/[^/]*\/?/, '')
      .split('/')
      .slice(0, 3)
      .join('/')}`;
  if (url.includes('/packages/')) return `rtcmesh:${url.replace(/.*\/packages\//, '').split('/')[0]}`;
  if (url.includes('/apps/agent/')) return 'rtcmesh:agent';
  if (url.startsWith('node:')) return url;
  if (url.includes('node_modules')) return url.replace(/.*node_modules\/(\.pnpm\/)?/, '').split('/')[0]!;
  return url || '(native)';
}

const files = (await readdir(profDir)).filter((f) => f.endsWith('.cpuprofile'));
const summaries = [];
// The raw profiles are large: kept outside the repository, for chrome://inspect or speedscope.
const keepDir = join(tmpdir(), 'rtm-profiles');
await mkdir(keepDir, { recursive: true });
for (const f of files) {
  const p = JSON.parse(await readFile(join(profDir, f), 'utf8')) as CpuProfile;
  await writeFile(join(keepDir, `${mode}${values.tag ? `-${values.tag}` : ''}-${f}`), JSON.stringify(p));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self]
    .filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)')
    .reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const byFn = new Map<string, number>();
  const byMod = new Map<string, number>();
  for (const [id, t] of self) {
    const cf = byId.get(id)!.callFrame;
    if (cf.functionName === '(idle)') continue;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/.*node_modules\/\.pnpm\//, '').replace(/.*\/work\/main\//, '')}:${cf.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + t);
    const m = moduleOf(cf.url, cf.functionName);
    byMod.set(m, (byMod.get(m) ?? 0) + t);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, t]) => ({ pct: Math.round((t / busy) * 1000) / 10, ms: Math.round(t / 1000), what: k }));
  summaries.push({
    file: f,
    busyMs: Math.round(busy / 1000),
    idleMs: Math.round(idle / 1000),
    topFunctions: top(byFn, 25),
    topModules: top(byMod, 15),
  });
}
await rm(profDir, { recursive: true, force: true });
const out = {
  date: new Date().toISOString(),
  mode,
  seconds: Number(values.seconds),
  tcpMbps: mbps,
  agents: summaries,
};
await writeFile(
  join(RESULTS, `profile-${mode}${values.tag ? `-${values.tag}` : ''}.json`),
  `${JSON.stringify(out, null, 2)}\n`,
);
for (const s of summaries) {
  console.log(`\n== ${s.file}: busy ${s.busyMs} ms, idle ${s.idleMs} ms`);
  for (const t of s.topModules) console.log(`  ${String(t.pct).padStart(5)}%  ${t.what}`);
  console.log('  --');
  for (const t of s.topFunctions) console.log(`  ${String(t.pct).padStart(5)}%  ${t.what}`);
}
