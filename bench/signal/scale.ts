// Signaling server at scale: N simulated agents (default 1 000, 5 000, 10 000) join over REST and hold
// authenticated WebSocket sessions on ONE server instance (a child process), all on loopback.
// Figures per N: join and connect rates, server memory per held session, time for a new node's
// presence (`peer-joined`) to reach every online peer of its network, messages/s relayed while the
// N sessions are held. Agents are spread over networks of `--network-size` nodes (default 100: many
// sites' meshes on one server); `--flat 1000` also measures one network of that many nodes.
// Bounded: every stage has a time budget; a stage that overruns is reported as such.
// Run: npx tsx bench/signal/scale.ts [--sizes 1000,5000,10000] [--network-size 100] [--flat 1000]
//      (writes bench/results/signal-scale.json)
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, round } from '../compare/stats.js';
import { pool } from './pool.js';
import { api, connect, joinNode, pumpSignals, type SimSession } from './sim-agent.js';

const here = dirname(fileURLToPath(import.meta.url));

// 10 000 sessions need 10 000+ descriptors on each side (bench and server are separate processes):
// raise the soft limit to the hard one when it is lower (a container may not allow more than that).
const limits = /Max open files\s+(\d+)\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
const softLimit = Number(limits?.[1] ?? 0);
const hardLimit = limits?.[2] === 'unlimited' ? 1_048_576 : Number(limits?.[2] ?? 0);
if (softLimit < Math.min(hardLimit, 65_536) && !process.env.RTM_SCALE_REEXEC) {
  const n = Math.min(hardLimit, 65_536);
  const r = spawnSync(
    'prlimit',
    [`--nofile=${n}:${hardLimit}`, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    {
      stdio: 'inherit',
      env: { ...process.env, RTM_SCALE_REEXEC: '1' },
    },
  );
  process.exit(r.status ?? 1);
}

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    sizes: { type: 'string', default: '1000,5000,10000' },
    'network-size': { type: 'string', default: '100' },
    flat: { type: 'string', default: '1000' },
    budget: { type: 'string', default: '120' },
    'report-only': { type: 'boolean', default: false },
  },
});
const SIZES = values.sizes!.split(',').map(Number);
const NETWORK_SIZE = Number(values['network-size']);
const FLAT = Number(values.flat);
const STAGE_BUDGET_MS = Number(values.budget) * 1000;
const CONCURRENCY = 32;
for (const n of SIZES) {
  if (n + 1000 > Math.max(softLimit, hardLimit)) {
    process.stderr.write(
      `warning: ${n} sessions need about ${n + 1000} descriptors per process; the limit here is ${hardLimit}\n`,
    );
  }
}

type Ctx = { url: string; wsUrl: string; child: ChildProcess };

function childRequest<T>(child: ChildProcess, msg: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(msg);
  });
}

interface Population {
  keys: string[];
  sessions: SimSession[][];
}

type Mem = { rss: number; heapUsed: number; external: number };

/** Creates ceil(n / size) networks and fills them with n joined, connected nodes. */
async function populate(ctx: Ctx, tag: string, n: number, size: number) {
  const nets = Math.ceil(n / size);
  const keys: string[] = [];
  for (let i = 0; i < nets; i++) {
    // /20: room for up to 4 000 nodes per network.
    const cidr = `10.${64 + Math.floor(i / 16)}.${(i % 16) * 16}.0/20`;
    await api(ctx, '/api/v1/networks', { name: `${tag}-${i}`, mode: 'l3', cidr });
    keys.push(
      (await api<{ key: string }>(ctx, '/api/v1/keys', { network: `${tag}-${i}`, reusable: true })).key,
    );
  }
  const slots = Array.from({ length: n }, (_, i) => ({ net: Math.floor(i / size), i }));
  const t0 = performance.now();
  const joined = await pool(slots, { concurrency: CONCURRENCY, budgetMs: STAGE_BUDGET_MS }, async (s) => ({
    ...s,
    node: await joinNode(ctx, keys[s.net]!, `n${s.i}`),
  }));
  const joinS = (performance.now() - t0) / 1000;
  const memBefore = (await childRequest<{ mem: Mem }>(ctx.child, 'mem')).mem;
  const t1 = performance.now();
  const sessions: SimSession[][] = keys.map(() => []);
  const connected = await pool(
    joined.done,
    { concurrency: CONCURRENCY, budgetMs: STAGE_BUDGET_MS },
    async (j) => {
      const s = await connect(ctx, j.node);
      sessions[j.net]!.push(s);
      return s;
    },
  );
  const connectS = (performance.now() - t1) / 1000;
  await new Promise((r) => setTimeout(r, 1000)); // let the presence fan-out settle
  const memAfter = (await childRequest<{ mem: Mem }>(ctx.child, 'mem')).mem;
  const held = connected.done.length;
  return {
    pop: { keys, sessions } as Population,
    figures: {
      requested: n,
      networks: nets,
      nodesPerNetwork: size,
      joined: joined.done.length,
      joinOverran: joined.overran,
      joinsPerSecond: round(joined.done.length / joinS),
      held,
      connectOverran: connected.overran,
      sessionsPerSecond: round(held / connectS),
      serverMemory: { before: memBefore, after: memAfter },
      // heapUsed + external is the reliable figure: RSS moves with heap pages committed earlier.
      bytesPerSession: {
        heapUsed: Math.round((memAfter.heapUsed - memBefore.heapUsed) / Math.max(1, held)),
        external: Math.round((memAfter.external - memBefore.external) / Math.max(1, held)),
        rss: Math.round((memAfter.rss - memBefore.rss) / Math.max(1, held)),
      },
    },
  };
}

/** A new node joins network 0 and connects: ms until every online peer there got its `peer-joined`. */
async function presenceFanout(ctx: Ctx, pop: Population, samples: number) {
  const peers = pop.sessions[0]!;
  const ms: number[] = [];
  for (let k = 0; k < samples; k++) {
    const node = await joinNode(ctx, pop.keys[0]!, `probe-${k}-${Date.now()}`);
    let left = peers.length;
    const t0 = performance.now();
    const reached = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`presence reached ${peers.length - left}/${peers.length}`)),
        30_000,
      );
      for (const p of peers) {
        p.onMessage((m) => {
          if (m.type === 'peer-joined' && m.peer?.nodeId === node.nodeId && --left === 0) {
            clearTimeout(timer);
            resolve(performance.now() - t0);
          }
        });
      }
    });
    const s = await connect(ctx, node);
    ms.push(await reached);
    await new Promise<void>((r) => {
      s.ws.once('close', () => r());
      s.ws.close();
    });
    await new Promise((r) => setTimeout(r, 200)); // its peer-left fan-out
  }
  return { peers: peers.length, samples: ms.map((x) => round(x, 2)), medianMs: round(median(ms), 2) };
}

/** 4 sender/receiver pairs (in network 0) push candidate-sized signals for `seconds`. */
async function relayRate(pop: Population, seconds: number) {
  const s = pop.sessions[0]!;
  const pairs = [0, 1, 2, 3].map((i) => ({ a: s[2 * i]!, b: s[2 * i + 1]! }));
  const { delivered, seconds: sec } = await pumpSignals(pairs, seconds);
  for (const p of pairs) {
    p.a.onMessage(() => undefined);
    p.b.onMessage(() => undefined);
  }
  return { pairs: 4, messagesPerSecond: Math.round(delivered / sec) };
}

async function closeAll(pop: Population): Promise<void> {
  const all = pop.sessions.flat();
  for (const s of all) s.ws.terminate();
  await new Promise((r) => setTimeout(r, 1500));
}

async function withServer<T>(fn: (ctx: Ctx) => Promise<T>): Promise<T> {
  const child = fork(join(here, 'server-child.ts'), [], {
    execArgv: ['--import', 'tsx', '--expose-gc', '--max-old-space-size=4096'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const started = await new Promise<{ url: string; wsUrl: string }>((resolve) =>
    child.once('message', (m) => resolve(m as { url: string; wsUrl: string })),
  );
  try {
    return await fn({ ...started, child });
  } finally {
    child.send('stop');
    await new Promise((r) => child.once('exit', r));
  }
}

const log = (s: string) => process.stderr.write(`${s}\n`);
const out = join(here, '../results/signal-scale.json');

interface RunFigures {
  requested: number;
  nodesPerNetwork: number;
  held: number;
  joinsPerSecond: number;
  sessionsPerSecond: number;
  joinOverran: boolean;
  connectOverran: boolean;
  bytesPerSession: { heapUsed: number; external: number; rss: number };
  presence: { peers?: number; medianMs?: number; samples?: number[]; error?: string };
  relay: { messagesPerSecond: number };
}

function markdown(r: { date: string; runs: RunFigures[] }): string {
  const rows = r.runs.map((x) => {
    const presence = x.presence.error
      ? `failed: ${x.presence.error}`
      : `${x.presence.medianMs} ms (${Math.min(...(x.presence.samples ?? []))}–${Math.max(...(x.presence.samples ?? []))})`;
    const held = `${x.held}${x.joinOverran || x.connectOverran ? ' (stage budget hit)' : ''}`;
    return `| ${x.requested} | ${x.nodesPerNetwork} | ${held} | ${x.joinsPerSecond} / ${x.sessionsPerSecond} | ${presence} | ${x.relay.messagesPerSecond} | ${(x.bytesPerSession.heapUsed / 1024).toFixed(1)} KiB |`;
  });
  return `# Signaling server at scale (${r.date})

One server instance; simulated agents over loopback. Presence: a new node joins network 0 and
connects; time until every online peer of that network got its \`peer-joined\` (median of 5).
Relay: 4 sender/receiver pairs pushing ICE-candidate-sized signals while all sessions are held.
Memory: server JS heap growth per held session (RSS moves with heap pages committed earlier and is
in the JSON only).

| agents | per network | sessions held | joins/s / sessions/s | presence to all peers | relayed msg/s | heap per session |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}
`;
}

if (values['report-only']) {
  const prev = JSON.parse(readFileSync(out, 'utf8')) as { date: string; runs: RunFigures[] };
  writeFileSync(out.replace(/\.json$/, '.md'), markdown(prev));
  console.log(markdown(prev));
  process.exit(0);
}

const runs: RunFigures[] = [];
const layouts: { n: number; size: number }[] = SIZES.map((n) => ({ n, size: NETWORK_SIZE }));
if (FLAT > 0) layouts.push({ n: FLAT, size: FLAT });
for (const { n, size } of layouts) {
  log(`${n} agents in networks of ${size} ...`);
  // A fresh server per layout: memory and timings do not carry over.
  const r = await withServer(async (ctx) => {
    const { pop, figures } = await populate(ctx, `s${n}x${size}`, n, size);
    log(
      `  held ${figures.held} sessions (${figures.sessionsPerSecond}/s), ${figures.bytesPerSession.heapUsed} B heap/session`,
    );
    const presence = await presenceFanout(ctx, pop, 5).catch((e: unknown) => ({ error: String(e) }));
    log(`  presence: ${JSON.stringify(presence)}`);
    const relay = await relayRate(pop, 3);
    log(`  relay: ${relay.messagesPerSecond} msg/s`);
    await closeAll(pop);
    return { ...figures, presence, relay };
  });
  runs.push(r);
}

const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  note: 'one server instance in a child process; all simulated agents in the bench process; loopback only',
  stageBudgetSeconds: STAGE_BUDGET_MS / 1000,
  runs,
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(out.replace(/\.json$/, '.md'), markdown(result));
console.log(markdown(result));
