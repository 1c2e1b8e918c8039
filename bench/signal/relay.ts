// Signaling server bench: time to join, messages/s relayed by one instance, memory per idle session.
// Run: npx tsx bench/signal/relay.ts   (writes bench/results/signal.json)
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateNodeKey, type NodeKeyPair, signAuthChallenge } from '../../packages/protocol/src/index.js';
import { pumpSignals, SAMPLE_SIGNAL_BYTES } from './relay-pump.js';

// `ws` is a dependency of apps/signal, not of the bench package: resolve it from there.
const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../apps/signal/package.json'));
type Ws = {
  on(event: 'message', cb: (data: Buffer) => void): void;
  once(event: 'open' | 'error' | 'close', cb: (arg?: unknown) => void): void;
  send(data: string): void;
  close(): void;
  terminate(): void;
};
const { WebSocket } = require('ws') as { WebSocket: new (url: string) => Ws };

const IDLE_SESSIONS = Number(process.env.BENCH_SESSIONS ?? 1000);
const JOIN_SAMPLES = 50;
const RELAY_SECONDS = 3;

type Ctx = { url: string; wsUrl: string; child: ChildProcess; key: string };
type Session = { ws: Ws; nodeId: string; onMessage: (cb: (m: { type: string }) => void) => void };

function request(child: ChildProcess, msg: string): Promise<Record<string, number>> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve((m as { mem: Record<string, number> }).mem));
    child.send(msg);
  });
}

async function api<T>(ctx: Ctx, path: string, body: unknown, token = true): Promise<T> {
  const res = await fetch(`${ctx.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: 'Bearer bench-token' } : {}),
    },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function joinNode(ctx: Ctx, name: string): Promise<{ nodeId: string; key: NodeKeyPair }> {
  const key = generateNodeKey();
  const r = await api<{ nodeId: string }>(
    ctx,
    '/api/v1/join',
    { key: ctx.key, publicKey: key.publicKey, name, agentVersion: 'bench' },
    false,
  );
  return { nodeId: r.nodeId, key };
}

function connect(ctx: Ctx, node: { nodeId: string; key: NodeKeyPair }): Promise<Session> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(ctx.wsUrl);
    let handler: ((m: { type: string }) => void) | undefined;
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type: string; nonce?: string; version?: number };
      if (m.type === 'challenge') {
        const signature = signAuthChallenge(node.key.privateKey, {
          nodeId: node.nodeId,
          nonce: m.nonce!,
          version: m.version!,
        });
        ws.send(JSON.stringify({ type: 'auth', signature }));
      } else if (m.type === 'welcome') {
        resolve({ ws, nodeId: node.nodeId, onMessage: (cb) => (handler = cb) });
      } else if (m.type === 'error') {
        reject(new Error(JSON.stringify(m)));
      } else handler?.(m);
    });
    ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', versions: [1], nodeId: node.nodeId })));
    ws.once('error', (e) => reject(e));
  });
}

const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

async function benchJoin(ctx: Ctx) {
  const rest: number[] = [];
  const auth: number[] = [];
  const sessions: Session[] = [];
  for (let i = 0; i < JOIN_SAMPLES; i++) {
    const t0 = performance.now();
    const node = await joinNode(ctx, `join-${i}`);
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
      const a = await connect(ctx, await joinNode(ctx, `relay-a${i}`));
      const b = await connect(ctx, await joinNode(ctx, `relay-b${i}`));
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
  const nodes: { nodeId: string; key: NodeKeyPair }[] = [];
  for (let i = 0; i < IDLE_SESSIONS; i++) nodes.push(await joinNode(ctx, `idle-${i}`));
  const before = await request(ctx.child, 'mem');
  const sessions: Session[] = [];
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
