import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  generateNodeKey,
  type NodeKeyPair,
  signAuthChallenge,
  signJoinRequest,
} from '../../packages/protocol/src/index.js';

/**
 * Simulated agents for the signaling benches: join over REST, hold an authenticated WebSocket
 * session, and push signals. Both benches use these, so their figures measure the same client.
 */

// `ws` is a dependency of apps/signal, not of the bench package: resolve it from there.
const require = createRequire(
  join(dirname(fileURLToPath(import.meta.url)), '../../apps/signal/package.json'),
);
export type Ws = {
  on(event: 'message', cb: (data: Buffer) => void): void;
  once(event: 'open' | 'error' | 'close', cb: (arg?: unknown) => void): void;
  send(data: string): void;
  close(): void;
  terminate(): void;
};
const { WebSocket } = require('ws') as { WebSocket: new (url: string, opts?: object) => Ws };

/** The admin token the bench's server child is started with. */
export const BENCH_ADMIN_TOKEN = 'bench-token';

export type ServerEndpoint = { url: string; wsUrl: string };
export type SimMessage = { type: string; peer?: { nodeId: string }; nodeId?: string };
export type SimNode = { nodeId: string; key: NodeKeyPair };
export type SimSession = { ws: Ws; nodeId: string; onMessage: (cb: (m: SimMessage) => void) => void };

/** POST to the server's REST API (with the admin token unless `admin` is false). */
export async function api<T>(server: ServerEndpoint, path: string, body: unknown, admin = true): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(admin ? { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } : {}),
    },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Registers a new node with a join key, as `rtcmesh up` does the first time. */
export async function joinNode(server: ServerEndpoint, joinKey: string, name: string): Promise<SimNode> {
  const key = generateNodeKey();
  const r = await api<{ nodeId: string }>(
    server,
    '/api/v1/join',
    signJoinRequest(key.privateKey, { key: joinKey, name, agentVersion: 'bench' }),
    false,
  );
  return { nodeId: r.nodeId, key };
}

/** Opens a session: hello, signed challenge, welcome. Later messages go to `onMessage`. */
export function connect(server: ServerEndpoint, node: SimNode): Promise<SimSession> {
  return new Promise((resolve, reject) => {
    // perMessageDeflate off: an agent's choice, and it keeps the client side cheap.
    const ws = new WebSocket(server.wsUrl, { perMessageDeflate: false });
    let handler: ((m: SimMessage) => void) | undefined;
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as SimMessage & { nonce?: string; version?: number };
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

/** An ICE-candidate-sized `signal` payload, what agents relay most. */
export const SAMPLE_SIGNAL = {
  kind: 'candidate',
  gen: 'g1',
  candidate: {
    candidate:
      'candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 0.0.0.0 rport 0 generation 0',
    sdpMid: '0',
    sdpMLineIndex: 0,
  },
} as const;

/** Bytes of one relayed message on the wire. */
export const SAMPLE_SIGNAL_BYTES = JSON.stringify({ type: 'signal', to: 'x', data: SAMPLE_SIGNAL }).length;

/**
 * Every sender pushes SAMPLE_SIGNAL to its receiver for `seconds`, keeping at most `window` messages
 * in flight (refilled at half), so the server, not the client, is the bottleneck. Returns how many
 * signals were delivered and over how long.
 */
export async function pumpSignals(
  pairs: readonly { a: SimSession; b: SimSession }[],
  seconds: number,
  window = 500,
): Promise<{ delivered: number; seconds: number }> {
  let delivered = 0;
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    pairs.map(
      ({ a, b }) =>
        new Promise<void>((resolve) => {
          const raw = JSON.stringify({ type: 'signal', to: b.nodeId, data: SAMPLE_SIGNAL });
          let inFlight = 0;
          const pump = (): void => {
            if (performance.now() >= deadline) {
              if (inFlight === 0) resolve();
              return;
            }
            while (inFlight < window) {
              a.ws.send(raw);
              inFlight++;
            }
          };
          b.onMessage((m) => {
            if (m.type !== 'signal') return;
            delivered++;
            inFlight--;
            if (inFlight <= window / 2 || performance.now() >= deadline) pump();
          });
          pump();
        }),
    ),
  );
  return { delivered, seconds: (performance.now() - t0) / 1000 };
}
