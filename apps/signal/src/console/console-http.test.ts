import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CSRF_HEADER } from '@rtcmesh/protocol';
import { afterEach, expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import { startTestServer, tempDir } from '../testing/test-client.js';

let dir: ReturnType<typeof tempDir>;
let server: SignalServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  dir.remove();
});

async function start(consoleDir: string | null = null): Promise<SignalServer> {
  dir = tempDir();
  server = await startTestServer(dir.path, { consoleDir });
  return server;
}

async function signIn(s: SignalServer, token = 'test-admin-token', csrf = true): Promise<Response> {
  return fetch(`${s.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(csrf ? { [CSRF_HEADER]: '1' } : {}) },
    body: JSON.stringify({ token }),
  });
}

function cookieOf(res: Response): string {
  const set = res.headers.get('set-cookie') ?? '';
  return set.split(';')[0] ?? '';
}

test('sign-in sets an HttpOnly SameSite=Strict expiring cookie; wrong tokens and missing CSRF header are refused', async () => {
  const s = await start();
  expect((await signIn(s, 'wrong')).status).toBe(401);
  expect((await signIn(s, 'test-admin-token', false)).status).toBe(403);
  const res = await signIn(s);
  expect(res.status).toBe(200);
  const set = res.headers.get('set-cookie') ?? '';
  expect(set).toMatch(/^rtcmesh_session=[\w-]{20,};/);
  expect(set).toContain('HttpOnly');
  expect(set).toContain('SameSite=Strict');
  expect(set).toMatch(/Max-Age=\d+/);
  expect(set).not.toContain('test-admin-token');
  const info = await fetch(`${s.url}/api/v1/session`, { headers: { cookie: cookieOf(res) } });
  expect(await info.json()).toMatchObject({ signedIn: true });
});

test('with the session cookie: reads work, writes need the CSRF header; the Bearer token still works alone', async () => {
  const s = await start();
  const cookie = cookieOf(await signIn(s));
  const get = await fetch(`${s.url}/api/v1/networks`, { headers: { cookie } });
  expect(get.status).toBe(200);
  const body = JSON.stringify({ name: 'n1', mode: 'l2' });
  const noCsrf = await fetch(`${s.url}/api/v1/networks`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body,
  });
  expect(noCsrf.status).toBe(403);
  expect(((await noCsrf.json()) as { error: { code: string } }).error.code).toBe('forbidden');
  const ok = await fetch(`${s.url}/api/v1/networks`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json', [CSRF_HEADER]: '1' },
    body,
  });
  expect(ok.status).toBe(201);
  const bearer = await fetch(`${s.url}/api/v1/networks`, {
    method: 'POST',
    headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'n2', mode: 'l3' }),
  });
  expect(bearer.status).toBe(201);
  expect(
    (await fetch(`${s.url}/api/v1/networks`, { headers: { cookie: 'rtcmesh_session=forged' } })).status,
  ).toBe(401);
});

test('sign-out revokes the session server-side', async () => {
  const s = await start();
  const cookie = cookieOf(await signIn(s));
  const out = await fetch(`${s.url}/api/v1/session`, {
    method: 'DELETE',
    headers: { cookie, [CSRF_HEADER]: '1' },
  });
  expect(out.status).toBe(200);
  expect((await fetch(`${s.url}/api/v1/nodes`, { headers: { cookie } })).status).toBe(401);
});

test('the console is served with content types, cache headers and an SPA fallback; traversal is refused', async () => {
  dir = tempDir();
  const web = join(dir.path, 'web');
  mkdirSync(join(web, 'assets'), { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(web, 'assets', 'app-abc123.js'), 'console.log(1)');
  writeFileSync(join(dir.path, 'secret.txt'), 'no');
  server = await startTestServer(join(dir.path, 'data'), { consoleDir: web });
  const s = server;
  const index = await fetch(`${s.url}/`);
  expect(index.status).toBe(200);
  expect(index.headers.get('content-type')).toContain('text/html');
  expect(index.headers.get('cache-control')).toBe('no-cache');
  expect(index.headers.get('content-security-policy')).toContain("default-src 'self'");
  const asset = await fetch(`${s.url}/assets/app-abc123.js`);
  expect(asset.headers.get('content-type')).toContain('text/javascript');
  expect(asset.headers.get('cache-control')).toContain('immutable');
  const deep = await fetch(`${s.url}/node/n-123`);
  expect(deep.status).toBe(200);
  expect(await deep.text()).toContain('<title>console</title>');
  expect((await fetch(`${s.url}/assets/missing.js`)).status).toBe(404);
  expect((await fetch(`${s.url}/..%2fsecret.txt`)).status).toBe(404);
  expect((await fetch(`${s.url}/assets/..%2f..%2fsecret.txt`)).status).toBe(404);
  // Server routes are never shadowed by the fallback.
  const api = await fetch(`${s.url}/api/v1/nope`);
  expect(api.headers.get('content-type')).toContain('application/json');
  expect((await fetch(`${s.url}/api/nope`)).status).toBe(404);
  expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
});

test('without a built console, / says so clearly instead of a bare 404', async () => {
  dir = tempDir();
  server = await startTestServer(join(dir.path, 'data'), { consoleDir: join(dir.path, 'not-built') });
  const res = await fetch(`${server.url}/`);
  expect(res.status).toBe(503);
  expect(await res.text()).toContain('console was not built');
});
