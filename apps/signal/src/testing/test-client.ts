import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CreateKeyResponse,
  type CreateNetworkRequest,
  generateNodeKey,
  type JoinResponse,
  type NetworkSummary,
  type NodeKeyPair,
  PROTOCOL_VERSION,
  parseServerMessage,
  type ServerMessage,
  signAuthChallenge,
  signJoinRequest,
} from '@rtcmesh/protocol';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import type { SignalServerOptions } from '../options.js';
import { type SignalServer, startSignalServer } from '../server.js';

/** A raw protocol client for tests: records every server message and waits on them with timeouts. */
export class TestClient {
  readonly received: ServerMessage[] = [];
  private cursor = 0;
  private waiters: (() => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const r = parseServerMessage(data as Buffer);
      if (!r.ok) throw new Error(`server sent an invalid message: ${r.error}`);
      this.received.push(r.message);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Wraps a socket the test opened itself (to watch its upgrade answer). */
  static attach(ws: WebSocket): TestClient {
    return new TestClient(ws);
  }

  static connect(
    wsUrl: string,
    opts: { ca?: Buffer; headers?: Record<string, string> } = {},
  ): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsUrl, opts);
      const c = new TestClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('error', reject);
    });
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
  }

  /** Next message (after the previous one taken) of `type` matching `pred`; earlier non-matching ones are skipped. */
  async next<T extends ServerMessage['type']>(
    type: T,
    pred: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.cursor; i < this.received.length; i++) {
        const m = this.received[i]!;
        if (m.type === type && pred(m as Extract<ServerMessage, { type: T }>)) {
          this.cursor = i + 1;
          return m as Extract<ServerMessage, { type: T }>;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${type}; got ${JSON.stringify(this.received.slice(this.cursor).map((m) => m.type))}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Messages of `type` received so far (all, not just after the cursor). */
  all<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.received.filter((m) => m.type === type) as Extract<ServerMessage, { type: T }>[];
  }

  close(): void {
    this.ws.close();
  }
}

export type TestNode = { key: NodeKeyPair; join: JoinResponse };

export async function joinNode(
  server: Pick<SignalServer, 'url'>,
  joinKey: string,
  name: string,
  key: NodeKeyPair = generateNodeKey(),
): Promise<TestNode> {
  const res = await fetch(`${server.url}/api/v1/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(signJoinRequest(key.privateKey, { key: joinKey, name, agentVersion: 'test' })),
  });
  const body = (await res.json()) as JoinResponse;
  if (res.status !== 200) throw new Error(`join failed: ${res.status} ${JSON.stringify(body)}`);
  return { key, join: body };
}

/**
 * Says `hello` as `nodeId` (with `hello`'s versions and agent version) and answers the challenge
 * signed with `privateKey`, for the version the challenge names; what follows (welcome or error) is
 * the caller's to read.
 */
export async function authenticate(
  c: TestClient,
  nodeId: string,
  privateKey: NodeKeyPair['privateKey'],
  hello: { versions: number[]; agentVersion?: string } = {
    versions: [PROTOCOL_VERSION],
    agentVersion: 'test',
  },
): Promise<void> {
  c.send({ type: 'hello', ...hello, nodeId });
  const ch = await c.next('challenge');
  c.send({
    type: 'auth',
    signature: signAuthChallenge(privateKey, { nodeId, nonce: ch.nonce, version: ch.version }),
  });
}

/** Full handshake; returns the client positioned after `welcome`. */
export async function connectNode(server: Pick<SignalServer, 'wsUrl'>, node: TestNode) {
  const c = await TestClient.connect(server.wsUrl);
  await authenticate(c, node.join.nodeId, node.key.privateKey);
  const welcome = await c.next('welcome');
  return { client: c, welcome };
}

/** `connectNode`, keeping the client in `clients` (which the test's fixture closes afterwards). */
export async function connectKept(
  server: Pick<SignalServer, 'wsUrl'>,
  node: TestNode,
  clients: TestClient[],
) {
  const r = await connectNode(server, node);
  clients.push(r.client);
  return r;
}

/** The value of the counter `name{label="value"}` in the server's /metrics (0 when not there yet). */
export async function metricValue(
  server: Pick<SignalServer, 'url'>,
  name: string,
  label: string,
  value: string,
): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const m = new RegExp(`${name}\\{${label}="${value}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'rtcmesh-signal-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function startTestServer(
  dataDir: string,
  extra: Partial<SignalServerOptions> = {},
): Promise<SignalServer> {
  return startSignalServer({
    dataDir,
    port: 0,
    logger: pino({ level: process.env.RTCMESH_TEST_LOG ?? 'silent' }),
    defaultMetrics: false,
    adminToken: 'test-admin-token',
    ...extra,
  });
}

export async function adminFetch<T>(
  server: SignalServer,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/**
 * A network created over the admin API (`l3` unless `body` says otherwise) and a join key for it,
 * reusable unless `reusable` is false.
 */
export async function createNetworkWithKey(
  server: SignalServer,
  name: string,
  body: Partial<CreateNetworkRequest> = {},
  reusable = true,
): Promise<{ network: NetworkSummary; key: string }> {
  const net = await adminFetch<NetworkSummary>(server, 'POST', '/api/v1/networks', {
    name,
    mode: 'l3',
    ...body,
  });
  if (net.status !== 201 && net.status !== 200) throw new Error(`network ${name}: HTTP ${net.status}`);
  const key = await adminFetch<CreateKeyResponse>(server, 'POST', '/api/v1/keys', {
    network: name,
    reusable,
  });
  return { network: net.body, key: key.body.key };
}
