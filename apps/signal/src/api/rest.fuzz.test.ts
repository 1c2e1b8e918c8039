// Property test of every /api/v1 route: random, mutated-valid and non-JSON bodies, wrong content
// types and hostile path/query parameters get a 4xx with a JSON error body (never a 5xx, never a
// non-JSON answer), and the server stays usable: a normal join still works afterwards.
import {
  type CreateKeyResponse,
  CSRF_HEADER,
  generateNodeKey,
  type JoinResponse,
  signJoinRequest,
} from '@rtcmesh/protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import { adminFetch, joinNode, startTestServer, tempDir } from '../testing/test-client.js';

let dir: ReturnType<typeof tempDir>;
let server: SignalServer;
let joinKey: string;
let nodeId: string;
let sessionCookie: string;

beforeAll(async () => {
  dir = tempDir();
  // Join limits off: the point is to reach the body parser, not the rate limiter (tested elsewhere).
  server = await startTestServer(dir.path, { joinRatePerMinute: 0 });
  await adminFetch(server, 'POST', '/api/v1/networks', { name: 'alpha', mode: 'l3' });
  // Lock and policy are fuzzed on their own network: a random lock key set on alpha would (rightly)
  // refuse the final check's join.
  await adminFetch(server, 'POST', '/api/v1/networks', { name: 'gamma', mode: 'l2' });
  const key = await adminFetch<CreateKeyResponse>(server, 'POST', '/api/v1/keys', {
    network: 'alpha',
    reusable: true,
  });
  joinKey = key.body.key;
  nodeId = (await joinNode(server, joinKey, 'seed')).join.nodeId;
  // Browser links only serve console sessions: sign in once, before the fuzzer exhausts sign-in attempts.
  const res = await fetch(`${server.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CSRF_HEADER]: '1' },
    body: JSON.stringify({ token: 'test-admin-token' }),
  });
  expect(res.status).toBe(200);
  sessionCookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
});

afterAll(async () => {
  await server.close();
  dir.remove();
});

type Auth = 'none' | 'bearer' | 'session' | 'wrong';
type Route = { method: string; path: () => string; auth: Auth; valid: () => Record<string, unknown> };

const routes: Route[] = [
  {
    method: 'POST',
    path: () => '/api/v1/join',
    auth: 'none',
    valid: () =>
      signJoinRequest(generateNodeKey().privateKey, { key: joinKey, name: 'n', agentVersion: 't' }),
  },
  {
    method: 'POST',
    path: () => '/api/v1/session',
    auth: 'none',
    valid: () => ({ token: 'test-admin-token' }),
  },
  {
    method: 'POST',
    path: () => '/api/v1/networks',
    auth: 'bearer',
    valid: () => ({ name: 'beta', mode: 'l2' }),
  },
  {
    method: 'POST',
    path: () => '/api/v1/keys',
    auth: 'bearer',
    valid: () => ({ network: 'alpha', reusable: false, ttlSeconds: 60, description: 'd' }),
  },
  {
    method: 'POST',
    path: () => `/api/v1/nodes/${nodeId}/browser-link`,
    auth: 'session',
    valid: () => ({ sdp: 'v=0\r\n' }),
  },
  {
    method: 'PUT',
    path: () => '/api/v1/networks/gamma/policy',
    auth: 'bearer',
    valid: () => ({ version: 0, rules: [{ action: 'accept', src: ['*'], dst: ['*'] }] }),
  },
  { method: 'PUT', path: () => '/api/v1/networks/gamma/lock', auth: 'bearer', valid: () => ({ keys: [] }) },
  {
    method: 'PUT',
    path: () => '/api/v1/networks/gamma/routes',
    auth: 'bearer',
    valid: () => ({ node: nodeId, prefix: '10.1.0.0/24', state: 'approved' }),
  },
  {
    method: 'PUT',
    path: () => `/api/v1/nodes/${nodeId}/tags`,
    auth: 'bearer',
    valid: () => ({ tags: ['web'] }),
  },
  {
    method: 'PUT',
    path: () => `/api/v1/nodes/${nodeId}/key-signature`,
    auth: 'bearer',
    valid: () => ({ signature: 'AAAA' }),
  },
  { method: 'POST', path: () => '/api/v1/networks', auth: 'wrong', valid: () => ({ name: 'x', mode: 'l2' }) },
  { method: 'POST', path: () => '/api/v1/admin/rotate-token', auth: 'wrong', valid: () => ({}) },
];

const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/octet-stream',
  'application/json; charset=utf-16',
];

/** A valid body with keys dropped, replaced by arbitrary JSON values or added. */
function mutated(valid: Record<string, unknown>): fc.Arbitrary<string> {
  const keys = Object.keys(valid);
  return fc
    .record({
      drop: fc.subarray(keys),
      replace: fc.dictionary(fc.constantFrom(...keys, 'extra'), fc.jsonValue(), { maxKeys: 3 }),
    })
    .map(({ drop, replace }) => {
      const o: Record<string, unknown> = { ...valid };
      for (const k of drop) delete o[k];
      return JSON.stringify({ ...o, ...replace });
    });
}

function body(valid: Record<string, unknown>): fc.Arbitrary<string | Uint8Array> {
  return fc.oneof(
    mutated(valid),
    fc.json(),
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 200 }),
    fc.constantFrom('', 'null', '[]', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '1e999'),
  );
}

function headers(auth: Auth, contentType: string | undefined): Record<string, string> {
  const h: Record<string, string> = {};
  if (contentType) h['content-type'] = contentType;
  if (auth === 'bearer') h.authorization = 'Bearer test-admin-token';
  if (auth === 'wrong') h.authorization = 'Bearer nope';
  if (auth === 'session') {
    h.cookie = sessionCookie;
    h[CSRF_HEADER] = '1';
  }
  if (auth === 'none') h[CSRF_HEADER] = '1';
  return h;
}

/** The answer must be JSON; an error must be a 4xx with {error: {code, message}}. */
async function expectSane(res: Response, what: string): Promise<void> {
  const text = await res.text();
  expect(res.status, `${what} -> ${res.status} ${text}`).toBeLessThan(500);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${what} -> ${res.status}: not JSON: ${text.slice(0, 200)}`);
  }
  if (res.status >= 400) {
    const err = (json as { error?: { code?: unknown; message?: unknown } }).error;
    expect(typeof err?.code, `${what} -> ${text}`).toBe('string');
    expect(typeof err?.message, `${what} -> ${text}`).toBe('string');
  }
}

test('random, mutated and non-JSON bodies on every POST/PUT route give 4xx JSON errors, never 5xx', async () => {
  const cases = fc.oneof(
    ...routes.map((r) =>
      fc.record({
        route: fc.constant(r),
        contentType: fc.constantFrom(...CONTENT_TYPES),
        body: body(r.valid()),
      }),
    ),
  );
  await fc.assert(
    fc.asyncProperty(cases, async ({ route, contentType, body }) => {
      const res = await fetch(`${server.url}${route.path()}`, {
        method: route.method,
        headers: headers(route.auth, contentType),
        body,
      });
      await expectSane(res, `${route.method} ${route.path()} ${contentType}`);
    }),
    { seed: 7007, numRuns: 600 },
  );
});

test('hostile ids, query parameters and methods on every admin route: JSON answers, never 5xx', async () => {
  const segment = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constantFrom('..', '%00', '%', '%ff', 'a'.repeat(300), '__proto__', 'constructor', nodeId),
  );
  const enc = (s: string) => (/%/.test(s) ? s : encodeURIComponent(s));
  const query = fc.dictionary(
    fc.constantFrom('network', 'node', 'limit', 'before', 'since'),
    fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('-1', '1e308', 'NaN', '0', '99999999999999999')),
    { maxKeys: 3 },
  );
  const request = fc.record({
    route: fc.constantFrom(
      { method: 'GET', pattern: '/api/v1/networks/:id' },
      { method: 'DELETE', pattern: '/api/v1/networks/:id' },
      { method: 'GET', pattern: '/api/v1/networks/:id/policy' },
      { method: 'GET', pattern: '/api/v1/networks/:id/routes' },
      { method: 'PUT', pattern: '/api/v1/nodes/:id/tags' },
      { method: 'PUT', pattern: '/api/v1/nodes/:id/name' },
      { method: 'GET', pattern: '/api/v1/networks' },
      { method: 'GET', pattern: '/api/v1/keys' },
      { method: 'DELETE', pattern: '/api/v1/keys/:id' },
      { method: 'GET', pattern: '/api/v1/nodes' },
      { method: 'GET', pattern: '/api/v1/nodes/:id' },
      { method: 'DELETE', pattern: '/api/v1/nodes/:id' },
      { method: 'GET', pattern: '/api/v1/telemetry' },
      { method: 'GET', pattern: '/api/v1/events/recent' },
      { method: 'GET', pattern: '/api/v1/audit' },
      { method: 'PUT', pattern: '/api/v1/networks' },
      { method: 'PATCH', pattern: '/api/v1/keys/:id' },
      { method: 'GET', pattern: '/api/v1/:id' },
    ),
    id: segment,
    query,
  });
  await fc.assert(
    fc.asyncProperty(request, async ({ route: { method, pattern }, id, query }) => {
      // Never remove the node the final check joins next to (its removal is legitimate, not a bug).
      if (method === 'DELETE' && id === nodeId) return;
      const qs = new URLSearchParams(query).toString();
      const path = `${pattern.replace(':id', enc(id))}${qs ? `?${qs}` : ''}`;
      const res = await fetch(`${server.url}${path}`, { method, headers: headers('bearer', undefined) });
      await expectSane(res, `${method} ${path}`);
    }),
    { seed: 7008, numRuns: 400 },
  );
});

test('after the fuzzing the server still serves a normal join and the admin API', async () => {
  const joined = await joinNode(server, joinKey, 'after-fuzz');
  expect((joined.join as JoinResponse).nodeId).toMatch(/\S/);
  const nodes = await adminFetch<{ nodes: { nodeId: string }[] }>(server, 'GET', '/api/v1/nodes');
  expect(nodes.status).toBe(200);
  expect(nodes.body.nodes.map((n) => n.nodeId)).toContain(joined.join.nodeId);
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
});
