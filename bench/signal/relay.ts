// Signaling server bench: time to join, messages/s relayed by one instance, memory per idle session.
// Run: npx tsx bench/signal/relay.ts   (writes bench/results/signal.json)
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  api,
  connect,
  joinNode,
  pumpSignals,
  SAMPLE_SIGNAL_BYTES,
  type SimNode,
  type SimSession,
} from './sim-agent.js';

const here = dirname(fileURLToPath(import.meta.url));
const IDLE_SESSIONS = Number(process.env.BENCH_SESSIONS ?? 1000);
const JOIN_SAMPLES = 50;
const RELAY_SECONDS = 3;

type Ctx = { url: string; wsUrl: string; child: ChildProcess; key: string };

function request(child: ChildProcess, msg: string): Promise<Record<string, number>> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve((m as { mem: Record<string, number> }).mem));
    child.send(msg);
  });
}

const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

async function benchJoin(ctx: Ctx) {
  const rest: number[] = [];
  const auth: number[] = [];
  const sessions: SimSession[] = [];
  for (let i = 0; i < JOIN_SAMPLES; i++) {
    const t0 = performance.now();
    const node = await joinNode(ctx, ctx.key, `join-${i}`);
    const t1 = performance.now();
    sessions.push(await connect(ctx, node));
    const t2 = performance.now();
    rest.push(t1 - t0);
    auth.push(t2 - t1);
  }
  for (const s of sessions) s.ws.close();
  const total = rest.map((r, i) => r + auth[i]!);
  return {
    samples: JOIN_SAMPLES,
    restJoinMs: { p50: round(pct(rest, 0.5)), p95: round(pct(rest, 0.95)) },
    wsAuthMs: { p50: round(pct(auth, 0.5)), p95: round(pct(auth, 0.95)) },
    totalMs: { p50: round(pct(total, 0.5)), p95: round(pct(total, 0.95)) },
  };
}

/** `pairs` sender→receiver pairs push ICE-candidate-sized signals with a bounded window in flight. */
async function benchRelay(ctx: Ctx, pairs: number) {
  const setups = await Promise.all(
    Array.from({ length: pairs }, async (_, i) => {
      const a = await connect(ctx, await joinNode(ctx, ctx.key, `relay-a${i}`));
      const b = await connect(ctx, await joinNode(ctx, ctx.key, `relay-b${i}`));
      return { a, b };
    }),
  );
  const { delivered, seconds } = await pumpSignals(setups, RELAY_SECONDS);
  for (const { a, b } of setups) {
    a.ws.close();
    b.ws.close();
  }
  return {
    pairs,
    messages: delivered,
    seconds: round(seconds),
    messagesPerSecond: Math.round(delivered / seconds),
    messageBytes: SAMPLE_SIGNAL_BYTES,
  };
}

async function benchIdle(ctx: Ctx) {
  const nodes: SimNode[] = [];
  for (let i = 0; i < IDLE_SESSIONS; i++) nodes.push(await joinNode(ctx, ctx.key, `idle-${i}`));
  const before = await request(ctx.child, 'mem');
  const sessions: SimSession[] = [];
  // Connect in batches so the peer-joined fan-out (O(n^2) messages) does not dominate.
  for (let i = 0; i < nodes.length; i += 50)
    sessions.push(...(await Promise.all(nodes.slice(i, i + 50).map((n) => connect(ctx, n)))));
  await new Promise((r) => setTimeout(r, 500));
  const after = await request(ctx.child, 'mem');
  await Promise.all(
    sessions.map(
      (s) =>
        new Promise((r) => {
          s.ws.once('close', r);
          s.ws.close();
        }),
    ),
  );
  await new Promise((r) => setTimeout(r, 500));
  const released = await request(ctx.child, 'mem');
  // Two views: growth while connecting (heap pages already committed by the joins hide some RSS), and
  // what closing the sessions gives back.
  const per = (a: Record<string, number>, b: Record<string, number>, k: string): number =>
    Math.round(((a[k] ?? 0) - (b[k] ?? 0)) / IDLE_SESSIONS);
  return {
    sessions: IDLE_SESSIONS,
    bytesPerSession: {
      rss: per(after, before, 'rss'),
      heapUsed: per(after, before, 'heapUsed'),
      external: per(after, before, 'external'),
    },
    bytesReleasedPerSession: { rss: per(after, released, 'rss'), heapUsed: per(after, released, 'heapUsed') },
    before,
    after,
    released,
  };
}

async function main(): Promise<void> {
  const child = fork(join(here, 'server-child.ts'), [], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const started = await new Promise<{ url: string; wsUrl: string }>((resolve) =>
    child.once('message', (m) => resolve(m as { url: string; wsUrl: string })),
  );
  const ctx: Ctx = { ...started, child, key: '' };
  await api(ctx, '/api/v1/networks', { name: 'bench', mode: 'l3', cidr: '10.200.0.0/16' });
  ctx.key = (await api<{ key: string }>(ctx, '/api/v1/keys', { network: 'bench', reusable: true })).key;

  const joinResult = await benchJoin(ctx);
  console.log('join (REST join + WS hello/challenge/auth/welcome):', JSON.stringify(joinResult));
  const relay1 = await benchRelay(ctx, 1);
  console.log('relay, 1 pair:', JSON.stringify(relay1));
  const relay4 = await benchRelay(ctx, 4);
  console.log('relay, 4 pairs:', JSON.stringify(relay4));
  const idle = await benchIdle(ctx);
  console.log(
    'idle sessions:',
    JSON.stringify({ growth: idle.bytesPerSession, releasedOnClose: idle.bytesReleasedPerSession }),
    `(${idle.sessions} sessions)`,
  );

  child.send('stop');
  await new Promise((r) => child.once('exit', r));
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    note: 'server in a child process; clients in the bench process on the same machine',
    join: joinResult,
    relay: [relay1, relay4],
    idle,
  };
  const out = join(here, '../results/signal.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

await main();
