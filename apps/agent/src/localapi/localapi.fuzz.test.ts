// The agent's local API under random requests on its unix socket: any method, path, header and body
// gets a JSON answer below 500 (or, for bytes that are not HTTP at all, a 400 from the HTTP parser or
// a closed connection), and the agent keeps serving its CLI afterwards.
import { mkdtemp } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { LocalApiClient } from './client.js';
import { type AgentControl, type AgentStatus, LocalApiError } from './schema.js';
import { LocalApiServer } from './server.js';

const status: AgentStatus = {
  version: '0.1.0',
  node: { id: 'n1', name: 'alpha', addresses: ['10.99.0.1/24'], mac: null },
  network: { id: 'net1', name: 'demo', mode: 'l3', cidr: '10.99.0.0/24' },
  device: { name: 'rtm0', mtu: 1280 },
  server: { url: 'http://127.0.0.1:8080', connected: true, since: null, lastError: null },
  peers: [],
  counters: {},
};

/** Behaves like the agent: unknown peers are a LocalApiError, never a generic throw. */
const control: AgentControl = {
  status: () => status,
  ping: async (peer) => {
    if (peer !== 'beta') throw new LocalApiError('unknown-peer', `no peer named ${peer}`);
    return { peer: 'beta', rttMs: 1, path: 'direct', remoteAddress: null };
  },
  netcheck: async () => ({
    udp: false,
    publicAddress: null,
    mappingVariesByDestination: null,
    natType: 'unknown',
    stun: [],
    turn: [],
  }),
  down: async () => undefined,
  rekey: async () => ({ publicKey: 'new', previousPublicKey: 'old' }),
  set: async (req) => ({
    advertiseRoutes: req.advertiseRoutes ?? [],
    acceptRoutes: req.acceptRoutes ?? false,
    logLevel: req.logLevel ?? 'info',
    advertiseExitNode: false,
    exitNode: null,
    transport: 'auto',
    offload: true,
    directPort: 41730,
    offlineMaxAge: '7d',
  }),
};

let server: LocalApiServer;
let socketPath: string;

beforeAll(async () => {
  socketPath = join(await mkdtemp(join(tmpdir(), 'rtcmesh-api-fuzz-')), 'rtcmesh.sock');
  server = new LocalApiServer(socketPath, control);
  await server.listen();
});

afterAll(async () => {
  await server.close();
});

function httpCall(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Uint8Array | null,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    // An explicit length: Node only chunks POST/PUT/PATCH bodies by itself; a DELETE body would be
    // sent unframed and read by the server as the next (garbage) request.
    const framing = body ? { 'content-length': String(body.length) } : {};
    const req = request(
      { socketPath, method, path, headers: { ...headers, ...framing }, timeout: 5000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path}`)));
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

/** Raw bytes on the socket: resolves with whatever came back before the server closed or 1 s passed. */
function rawCall(bytes: Uint8Array): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(socketPath);
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, 1000);
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('close', done);
    sock.on('error', done);
    sock.write(bytes);
    // Half-close: a parser waiting for more of a request sees the end of it.
    sock.end();
  });
}

test('random requests get JSON answers below 500', async () => {
  const request = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
    path: fc.oneof(
      fc.constantFrom(
        '/v1/status',
        '/v1/ping',
        '/v1/netcheck',
        '/v1/nope',
        '/',
        '/v1/ping?x=1',
        '//v1/status',
      ),
      // A request line needs a path starting with '/' (bad request lines are the next test's job).
      fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
    ),
    contentType: fc.constantFrom(
      undefined,
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
    ),
    body: fc.option(
      fc.oneof(
        fc.json().map((s) => Buffer.from(s)),
        fc.record({ peer: fc.oneof(fc.string(), fc.jsonValue()) }).map((o) => Buffer.from(JSON.stringify(o))),
        fc.uint8Array({ maxLength: 200 }),
      ),
      { nil: null },
    ),
  });
  await fc.assert(
    fc.asyncProperty(request, async ({ method, path, contentType, body }) => {
      // GET/HEAD with a body is legal HTTP but fetch-like adapters differ; keep the request well-formed.
      const sendBody = method === 'GET' || method === 'HEAD' ? null : body;
      const res = await httpCall(method, path, contentType ? { 'content-type': contentType } : {}, sendBody);
      expect(res.status, `${method} ${path} -> ${res.text}`).toBeLessThan(500);
      if (method !== 'HEAD')
        expect(() => JSON.parse(res.text), `${method} ${path} -> ${res.text}`).not.toThrow();
    }),
    { seed: 31, numRuns: 300 },
  );
});

test('bytes that are not HTTP get a 400 or a closed connection, never a 5xx', async () => {
  const garbage = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
    fc
      .tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 40 }), fc.string({ maxLength: 60 }))
      .map(([m, p, h]) => Buffer.from(`${m} ${p} HTTP/1.1\r\n${h}\r\n\r\n`)),
  );
  await fc.assert(
    fc.asyncProperty(garbage, async (bytes) => {
      const answer = await rawCall(bytes);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1];
      if (status !== undefined) expect(Number(status), answer.slice(0, 200)).toBeLessThan(500);
    }),
    { seed: 32, numRuns: 150 },
  );
});

test('after the fuzzing the CLI still gets a valid status from the agent', async () => {
  const client = new LocalApiClient(socketPath);
  expect((await client.status()).node.name).toBe('alpha');
  expect(await client.ping('beta')).toMatchObject({ rttMs: 1 });
});
