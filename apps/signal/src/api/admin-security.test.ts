import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AuditEntry,
  type CreateKeyResponse,
  CSRF_HEADER,
  ErrorCode,
  type FeedEvent,
  type RotateTokenResponse,
} from '@rtcmesh/protocol';
import { afterEach, expect, test } from 'vitest';
import { adminRequest } from '../cli/admin-client.js';
import { rotateTokenOffline } from '../cli/offline.js';
import type { SignalServerOptions } from '../options.js';
import type { SignalServer } from '../server.js';
import { looseModes } from '../store/file-modes.js';
import { adminFetch, joinNode, startTestServer, tempDir } from '../testing/test-client.js';

let dir: ReturnType<typeof tempDir>;
let server: SignalServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  dir.remove();
});

async function start(extra: Partial<SignalServerOptions> = {}): Promise<SignalServer> {
  dir = tempDir();
  server = await startTestServer(dir.path, extra);
  return server;
}

function bearer(s: SignalServer, token: string, method = 'GET', path = '/api/v1/networks', body?: unknown) {
  return fetch(`${s.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function signIn(s: SignalServer, token = 'test-admin-token'): Promise<string> {
  const res = await fetch(`${s.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CSRF_HEADER]: '1' },
    body: JSON.stringify({ token }),
  });
  expect(res.status).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

test('rotating the admin token: the old token and its console sessions stop working at once', async () => {
  const s = await start();
  const cookie = await signIn(s);
  expect((await fetch(`${s.url}/api/v1/nodes`, { headers: { cookie } })).status).toBe(200);

  const res = await bearer(s, 'test-admin-token', 'POST', '/api/v1/admin/rotate-token');
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const rotated = (await res.json()) as RotateTokenResponse;
  expect(rotated.adminToken).toMatch(/^rta_[\w-]{40,}$/);
  expect(rotated.sessionsRevoked).toBe(1);

  expect((await bearer(s, 'test-admin-token')).status).toBe(401);
  expect((await fetch(`${s.url}/api/v1/nodes`, { headers: { cookie } })).status).toBe(401);
  expect((await bearer(s, rotated.adminToken)).status).toBe(200);
  const file = join(dir.path, 'admin-token');
  expect(readFileSync(file, 'utf8').trim()).toBe(rotated.adminToken);
  expect(statSync(file).mode & 0o777).toBe(0o600);

  // Over the admin socket (what `rtcmesh-signal admin rotate-token --data DIR` uses).
  const again = await adminRequest<RotateTokenResponse>(
    { dataDir: dir.path },
    'POST',
    '/api/v1/admin/rotate-token',
  );
  expect((await bearer(s, rotated.adminToken)).status).toBe(401);
  expect((await bearer(s, again.adminToken)).status).toBe(200);
});

test('rotation while the server is stopped takes effect at the next start', async () => {
  let s = await start();
  const cookie = await signIn(s);
  await s.close();
  const r = await rotateTokenOffline(dir.path);
  expect(r.sessionsRevoked).toBe(1);
  server = s = await startTestServer(dir.path);
  expect((await bearer(s, 'test-admin-token')).status).toBe(401);
  expect((await fetch(`${s.url}/api/v1/nodes`, { headers: { cookie } })).status).toBe(401);
  expect((await bearer(s, r.adminToken)).status).toBe(200);
  const { entries } = (await (await bearer(s, r.adminToken, 'GET', '/api/v1/audit')).json()) as {
    entries: AuditEntry[];
  };
  expect(entries[0]).toMatchObject({ action: 'admin.rotate-token', actor: 'local socket (offline)' });
});

test('CORS is closed by default: no CORS headers on preflights or answers, whatever the Origin', async () => {
  const s = await start();
  const pre = await fetch(`${s.url}/api/v1/networks`, {
    method: 'OPTIONS',
    headers: {
      origin: 'https://evil.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    },
  });
  expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  expect(pre.headers.get('access-control-allow-headers')).toBeNull();
  for (const path of ['/api/v1/info', '/api/v1/networks', '/api/v1/session']) {
    const res = await fetch(`${s.url}${path}`, {
      headers: { origin: 'https://evil.example', authorization: 'Bearer test-admin-token' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  }
});

test('--cors-origin grants exactly the listed origins', async () => {
  const s = await start({ corsOrigins: ['https://ops.example'] });
  const preflight = (origin: string) =>
    fetch(`${s.url}/api/v1/networks`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });
  const ok = await preflight('https://ops.example');
  expect(ok.headers.get('access-control-allow-origin')).toBe('https://ops.example');
  expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
  expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  const get = await fetch(`${s.url}/api/v1/networks`, {
    headers: { origin: 'https://ops.example', authorization: 'Bearer test-admin-token' },
  });
  expect(get.headers.get('access-control-allow-origin')).toBe('https://ops.example');
});

test('admin actions are audited: who, what, target, source and result; stored, listed and on the live feed', async () => {
  const s = await start();
  await bearer(s, 'test-admin-token', 'POST', '/api/v1/networks', { name: 'alpha', mode: 'l2' });
  const dup = await bearer(s, 'test-admin-token', 'POST', '/api/v1/networks', { name: 'alpha', mode: 'l2' });
  expect(dup.status).toBe(409);
  const key = (await (
    await bearer(s, 'test-admin-token', 'POST', '/api/v1/keys', { network: 'alpha' })
  ).json()) as CreateKeyResponse;
  const node = await joinNode(s, key.key, 'web');
  const cookie = await signIn(s);
  await fetch(`${s.url}/api/v1/nodes/${node.join.nodeId}`, {
    method: 'DELETE',
    headers: { cookie, [CSRF_HEADER]: '1' },
  });
  expect(
    (
      await fetch(`${s.url}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [CSRF_HEADER]: '1' },
        body: JSON.stringify({ token: 'guess' }),
      })
    ).status,
  ).toBe(401);
  await adminRequest({ dataDir: dir.path }, 'DELETE', `/api/v1/keys/${key.info.id}`);
  // Reads are not audited.
  await bearer(s, 'test-admin-token', 'GET', '/api/v1/nodes');

  expect((await fetch(`${s.url}/api/v1/audit`)).status).toBe(401);
  const res = await bearer(s, 'test-admin-token', 'GET', '/api/v1/audit');
  const { entries } = (await res.json()) as { entries: AuditEntry[] };
  const summary = entries.map((e) => [e.action, e.target, e.result, e.actor.split(':')[0], e.source]);
  expect(summary).toEqual([
    ['key.revoke', key.info.id, 'ok', 'local socket', null],
    ['session.sign-in', null, ErrorCode.Unauthorized, 'anonymous', '127.0.0.1'],
    ['node.remove', node.join.nodeId, 'ok', 'session', '127.0.0.1'],
    ['session.sign-in', expect.stringMatching(/^session:[0-9a-f]{8}$/), 'ok', 'token', '127.0.0.1'],
    ['key.create', key.info.id, 'ok', 'token', '127.0.0.1'],
    ['network.create', null, ErrorCode.Conflict, 'token', '127.0.0.1'],
    ['network.create', 'alpha', 'ok', 'token', '127.0.0.1'],
  ]);
  // One token, one actor; the session that removed the node is the one the sign-in created.
  expect(entries[4]?.actor).toMatch(/^token:[0-9a-f]{8}$/);
  expect(entries[4]?.actor).toBe(entries[6]?.actor);
  expect(entries[2]?.actor).toBe(entries[3]?.target);
  expect(JSON.stringify(entries)).not.toContain('test-admin-token');

  const page = (await (
    await bearer(s, 'test-admin-token', 'GET', `/api/v1/audit?limit=2&before=${entries[1]?.id}`)
  ).json()) as {
    entries: AuditEntry[];
  };
  expect(page.entries.map((e) => e.id)).toEqual([entries[2]?.id, entries[3]?.id]);
  expect((await bearer(s, 'test-admin-token', 'GET', '/api/v1/audit?limit=x')).status).toBe(400);

  const { events } = (await (await bearer(s, 'test-admin-token', 'GET', '/api/v1/events/recent')).json()) as {
    events: FeedEvent[];
  };
  const audits = events.flatMap((e) => (e.kind === 'audit' ? [e.entry] : []));
  expect(audits.map((a) => a.id)).toEqual(entries.map((e) => e.id).reverse());
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  expect(metrics).toMatch(/rtcmesh_audit_entries_total\{result="ok"\} 5/);
  expect(metrics).toMatch(/rtcmesh_audit_entries_total\{result="refused"\} 2/);
});

test('--trust-proxy: X-Forwarded-For from the proxy names the client; without it the header is ignored', async () => {
  const s = await start({ trustProxy: ['127.0.0.1'] });
  const cookie = await fetch(`${s.url}/api/v1/session`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [CSRF_HEADER]: '1',
      'x-forwarded-for': '6.6.6.6, 198.51.100.7',
    },
    body: JSON.stringify({ token: 'test-admin-token' }),
  });
  expect(cookie.status).toBe(200);
  await s.close();
  server = await startTestServer(dir.path);
  await fetch(`${server.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CSRF_HEADER]: '1', 'x-forwarded-for': '198.51.100.7' },
    body: JSON.stringify({ token: 'test-admin-token' }),
  });
  const { body } = await adminFetch<{ entries: AuditEntry[] }>(server, 'GET', '/api/v1/audit');
  expect(body.entries.map((e) => e.source)).toEqual(['127.0.0.1', '198.51.100.7']);
});

test('the Bearer scheme is case-insensitive; the data directory and its files are private', async () => {
  const s = await start();
  for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
    const res = await fetch(`${s.url}/api/v1/networks`, {
      headers: { authorization: `${scheme} test-admin-token` },
    });
    expect(res.status, scheme).toBe(200);
  }
  expect(statSync(dir.path).mode & 0o777).toBe(0o700);
  for (const name of ['signal.db', 'signal.db-wal', 'admin-token']) {
    const file = join(dir.path, name);
    if (name === 'admin-token' && !existsSync(file)) continue; // a test token is not written
    expect(statSync(file).mode & 0o777, name).toBe(0o600);
  }
  expect(looseModes(dir.path)).toEqual([]);
  chmodSync(join(dir.path, 'signal.db'), 0o644);
  expect(looseModes(dir.path)).toEqual([`${join(dir.path, 'signal.db')} (0644)`]);
});

test('wrong sign-ins back off per address with Retry-After; the admin at another address still signs in', async () => {
  const s = await start({ trustProxy: ['127.0.0.1'] });
  const attempt = (from: string, token: string) =>
    fetch(`${s.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CSRF_HEADER]: '1', 'x-forwarded-for': from },
      body: JSON.stringify({ token }),
    });
  const guesser = '198.51.100.7';
  for (let i = 0; i < 5; i++) expect((await attempt(guesser, 'rta_wrong')).status).toBe(401);
  // The sixth wrong one costs a wait; during it even the right token is not looked at from there.
  expect((await attempt(guesser, 'rta_wrong')).status).toBe(401);
  const blocked = await attempt(guesser, 'test-admin-token');
  expect(blocked.status).toBe(429);
  expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  // Thirty guesses from elsewhere (the old server-wide lockout) do not keep the admin out either.
  for (let i = 0; i < 30; i++) await attempt(`203.0.113.${i + 1}`, 'rta_wrong');
  expect((await attempt('192.0.2.10', 'test-admin-token')).status).toBe(200);
});
