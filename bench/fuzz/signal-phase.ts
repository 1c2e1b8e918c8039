// The signaling half of the fuzz bench: generated messages against a live in-process server, from
// several authenticated sessions (reconnecting when the server rightly closes one) and from a stream
// of short unauthenticated connections. Every batch ends with a ping that must be answered: a server
// that stops answering is a hang, not a slow run.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { startSignalServer } from '../../apps/signal/src/index.js';
import type { SignalServer } from '../../apps/signal/src/server.js';
import {
  generateNodeKey,
  type NodeKeyPair,
  parseServerMessage,
  signAuthChallenge,
  signJoinRequest,
} from '../../packages/protocol/src/index.js';
import { type MessageMix, messageArbitrary, preAuthArbitrary, type WireMessage } from './signal-messages.js';

// `ws` is a dependency of apps/signal, not of the bench package: resolve it from there.
const require = createRequire(
  join(dirname(fileURLToPath(import.meta.url)), '../../apps/signal/package.json'),
);
type Ws = {
  readyState: number;
  on(event: 'message', cb: (data: Buffer, isBinary: boolean) => void): void;
  once(event: 'open' | 'error' | 'close', cb: (arg?: unknown) => void): void;
  send(data: string | Uint8Array): void;
  close(): void;
  terminate(): void;
};
const { WebSocket } = require('ws') as { WebSocket: new (url: string, opts?: object) => Ws };
const OPEN = 1;
const ADMIN = 'fuzz-bench-token';

export type SignalFuzzStats = {
  messages: number;
  authenticatedMessages: number;
  preAuthMessages: number;
  preAuthConnections: number;
  sessionsReopened: number;
  seconds: number;
  /** When the last authenticated / unauthenticated worker finished (they run side by side). */
  authenticatedSeconds: number;
  preAuthSeconds: number;
  generationSeconds: number;
  messagesPerSecond: number;
  /** Error replies by code (the server's answers to the bad input). */
  errorReplies: Record<string, number>;
  /** Findings: each of these fails the bench. */
  internalErrors: number;
  invalidServerMessages: number;
  hangs: string[];
};

type Node = { nodeId: string; key: NodeKeyPair };

export class SignalTarget {
  private constructor(
    readonly server: SignalServer,
    readonly nodes: Node[],
    readonly foreign: Node[],
    private readonly joinKey: string,
  ) {}

  static async start(dataDir: string): Promise<SignalTarget> {
    const server = await startSignalServer({
      dataDir,
      port: 0,
      logLevel: 'silent',
      adminToken: ADMIN,
      adminSocket: false,
      defaultMetrics: false,
      // Throughput of the parsers, not the limits: those are tested in the unit suite (and all of the
      // bench's clients share one loopback address).
      rateLimitPerSecond: 1_000_000,
      rateLimitBurst: 1_000_000,
      maxSessionsPerIp: 0,
      maxHandshakesPerIp: 0,
      joinRatePerMinute: 0,
    });
    const admin = async <T>(path: string, body: unknown): Promise<T> => {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    await admin('/api/v1/networks', { name: 'alpha', mode: 'l2' });
    await admin('/api/v1/networks', { name: 'beta', mode: 'l3' });
    const alpha = await admin<{ key: string }>('/api/v1/keys', { network: 'alpha', reusable: true });
    const beta = await admin<{ key: string }>('/api/v1/keys', { network: 'beta', reusable: true });
    const t = new SignalTarget(server, [], [], alpha.key);
    for (let i = 0; i < 6; i++) t.nodes.push(await t.join(alpha.key, `fuzz-${i}`));
    for (let i = 0; i < 2; i++) t.foreign.push(await t.join(beta.key, `other-${i}`));
    return t;
  }

  async join(joinKey: string = this.joinKey, name = 'probe'): Promise<Node> {
    const key = generateNodeKey();
    const res = await fetch(`${this.server.url}/api/v1/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(signJoinRequest(key.privateKey, { key: joinKey, name, agentVersion: 'fuzz' })),
    });
    if (!res.ok) throw new Error(`join: ${res.status} ${await res.text()}`);
    return { nodeId: ((await res.json()) as { nodeId: string }).nodeId, key };
  }

  get mix(): MessageMix {
    return { peers: this.nodes.map((n) => n.nodeId), foreign: this.foreign.map((n) => n.nodeId) };
  }
}

/** One client connection: records what the server answers, waits on pongs, notices the close. */
class Conn {
  readonly closed: Promise<void>;
  private pongWaiters = new Map<number, () => void>();
  private onAny: ((m: { type: string; [k: string]: unknown }) => void) | undefined;

  private constructor(
    readonly ws: Ws,
    stats: SignalFuzzStats,
  ) {
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data, isBinary) => {
      const r = parseServerMessage(isBinary ? new Uint8Array(data) : data.toString());
      if (!r.ok) {
        stats.invalidServerMessages++;
        return;
      }
      const m = r.message as { type: string; code?: string; ts?: number };
      if (m.type === 'error' && m.code) {
        stats.errorReplies[m.code] = (stats.errorReplies[m.code] ?? 0) + 1;
        if (m.code === 'internal') stats.internalErrors++;
      }
      if (m.type === 'pong' && typeof m.ts === 'number') this.pongWaiters.get(m.ts)?.();
      this.onAny?.(m);
    });
  }

  static open(wsUrl: string, stats: SignalFuzzStats): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, { perMessageDeflate: false, maxPayload: 1 << 20 });
      const c = new Conn(ws, stats);
      ws.once('open', () => resolve(c));
      ws.once('error', (e) => reject(e));
    });
  }

  get open(): boolean {
    return this.ws.readyState === OPEN;
  }

  send(m: WireMessage): boolean {
    if (!this.open) return false;
    this.ws.send('text' in m ? m.text : m.binary);
    return true;
  }

  /** hello → challenge → auth → welcome. */
  authenticate(node: Node, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no welcome for ${node.nodeId}`)), timeoutMs);
      this.onAny = (m) => {
        if (m.type === 'challenge') {
          const signature = signAuthChallenge(node.key.privateKey, {
            nodeId: node.nodeId,
            nonce: m.nonce as string,
            version: m.version as number,
          });
          this.ws.send(JSON.stringify({ type: 'auth', signature }));
        } else if (m.type === 'welcome') {
          clearTimeout(timer);
          this.onAny = undefined;
          resolve();
        }
      };
      this.ws.send(
        JSON.stringify({ type: 'hello', versions: [1], nodeId: node.nodeId, agentVersion: 'fuzz' }),
      );
    });
  }

  /** Sends a ping and resolves 'pong', or 'closed' if the server closed the connection first. */
  roundTrip(ts: number, timeoutMs: number): Promise<'pong' | 'closed' | 'timeout'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs);
      const done = (r: 'pong' | 'closed') => {
        clearTimeout(timer);
        this.pongWaiters.delete(ts);
        resolve(r);
      };
      this.pongWaiters.set(ts, () => done('pong'));
      void this.closed.then(() => done('closed'));
      if (!this.send({ text: JSON.stringify({ type: 'ping', ts }) })) done('closed');
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

const BATCH = 250;

async function authenticatedWorker(
  target: SignalTarget,
  node: Node,
  quota: number,
  seed: number,
  stats: SignalFuzzStats,
  gen: { ms: number },
): Promise<void> {
  const arb = messageArbitrary(target.mix);
  let conn = await Conn.open(target.server.wsUrl, stats);
  await conn.authenticate(node);
  let sent = 0;
  let batchNo = 0;
  while (sent < quota) {
    const t0 = performance.now();
    const batch = fc.sample(arb, {
      numRuns: Math.min(BATCH, quota - sent),
      seed: seed * 100_000 + batchNo++,
    });
    gen.ms += performance.now() - t0;
    for (const m of batch) {
      if (!conn.send(m)) break;
      sent++;
      stats.authenticatedMessages++;
    }
    const marker = seed * 1_000_000_000 + batchNo;
    const r = await conn.roundTrip(marker, 30_000);
    if (r === 'timeout') {
      stats.hangs.push(`session ${node.nodeId}: no pong within 30 s after batch ${batchNo}`);
      conn.close();
    }
    if (r !== 'pong') {
      // Closed by the server (an oversize message, a flood): reconnect as an agent would.
      await conn.closed;
      conn = await Conn.open(target.server.wsUrl, stats);
      await conn.authenticate(node);
      stats.sessionsReopened++;
    }
  }
  conn.close();
  await conn.closed;
}

async function preAuthWorker(
  target: SignalTarget,
  quota: number,
  seed: number,
  stats: SignalFuzzStats,
  gen: { ms: number },
): Promise<void> {
  const arb = preAuthArbitrary(target.mix);
  let sent = 0;
  let batchNo = 0;
  while (sent < quota) {
    const t0 = performance.now();
    const scripts = fc.sample(arb, { numRuns: 50, seed: seed * 100_000 + batchNo++ });
    gen.ms += performance.now() - t0;
    for (const script of scripts) {
      if (sent >= quota) break;
      const conn = await Conn.open(target.server.wsUrl, stats);
      stats.preAuthConnections++;
      for (const m of script) {
        if (!conn.send(m)) break;
        sent++;
        stats.preAuthMessages++;
      }
      // The server closes a connection that misbehaves before auth; give it 5 s, then hang up ourselves.
      const t = setTimeout(() => conn.close(), 5000);
      await conn.closed;
      clearTimeout(t);
    }
  }
}

/** Sends `total` messages: 85 % over authenticated sessions, 15 % over unauthenticated connections. */
export async function runSignalFuzz(
  target: SignalTarget,
  total: number,
  seed: number,
): Promise<SignalFuzzStats> {
  const stats: SignalFuzzStats = {
    messages: 0,
    authenticatedMessages: 0,
    preAuthMessages: 0,
    preAuthConnections: 0,
    sessionsReopened: 0,
    seconds: 0,
    authenticatedSeconds: 0,
    preAuthSeconds: 0,
    generationSeconds: 0,
    messagesPerSecond: 0,
    errorReplies: {},
    internalErrors: 0,
    invalidServerMessages: 0,
    hangs: [],
  };
  const gen = { ms: 0 };
  const preAuth = Math.round(total * 0.15);
  const perSession = Math.ceil((total - preAuth) / target.nodes.length);
  const t0 = performance.now();
  const since = () => (performance.now() - t0) / 1000;
  await Promise.all([
    Promise.all(
      target.nodes.map((n, i) => authenticatedWorker(target, n, perSession, seed + i, stats, gen)),
    ).then(() => (stats.authenticatedSeconds = since())),
    Promise.all(
      [0, 1, 2, 3].map((k) => preAuthWorker(target, Math.ceil(preAuth / 4), seed + 100 + k, stats, gen)),
    ).then(() => (stats.preAuthSeconds = since())),
  ]);
  stats.seconds = (performance.now() - t0) / 1000;
  stats.generationSeconds = gen.ms / 1000;
  stats.messages = stats.authenticatedMessages + stats.preAuthMessages;
  // Generation runs on the same event loop: what the server sustained is messages over the rest.
  stats.messagesPerSecond = Math.round(
    stats.messages / Math.max(0.001, stats.seconds - stats.generationSeconds),
  );
  return stats;
}

/** After the fuzzing: a new node joins, authenticates and gets its ping answered. */
export async function checkStillServing(target: SignalTarget): Promise<string | null> {
  try {
    const node = await target.join(undefined, 'after-fuzz');
    const stats = { errorReplies: {}, internalErrors: 0, invalidServerMessages: 0 } as SignalFuzzStats;
    const conn = await Conn.open(target.server.wsUrl, stats);
    await conn.authenticate(node);
    const r = await conn.roundTrip(42, 10_000);
    conn.close();
    await conn.closed;
    return r === 'pong' ? null : `after the run a fresh session got ${r} instead of pong`;
  } catch (err) {
    return `after the run a fresh node could not join and connect: ${(err as Error).message}`;
  }
}

/**
 * Brings the server's bounded in-memory state (event ring, latest telemetry) to the same content
 * before each memory measurement, so the comparison shows leaks, not which random events came last.
 */
export async function normalizeServerState(target: SignalTarget): Promise<void> {
  const stats = { errorReplies: {}, internalErrors: 0, invalidServerMessages: 0 } as SignalFuzzStats;
  for (const [i, node] of [...target.nodes, ...target.foreign].entries()) {
    const conn = await Conn.open(target.server.wsUrl, stats);
    await conn.authenticate(node);
    conn.send({ text: JSON.stringify({ type: 'telemetry', links: [] }) });
    conn.send({ text: JSON.stringify({ type: 'advertise', bindings: [], routes: [] }) });
    if (i === 0)
      for (let k = 0; k < 1100; k++)
        conn.send({
          text: JSON.stringify({ type: 'event', event: { kind: 'other', message: 'normalize' } }),
        });
    await conn.roundTrip(7, 10_000);
    conn.close();
    await conn.closed;
  }
  // The server sees each close a moment after the client does.
  const deadline = Date.now() + 5000;
  while (target.server.parts.hub.size > 0 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
}
