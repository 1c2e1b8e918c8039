import {
  type CreateKeyResponse,
  ErrorCode,
  type FeedEvent,
  generateNodeKey,
  type JoinKeyInfo,
  signJoinRequest,
} from '@rtcmesh/protocol';
import { expect, test } from 'vitest';
import { BrowserLinkRelay } from '../browser-peer/relay.js';
import type { SignalServer } from '../server.js';
import { adminFetch, connectNode, joinNode } from '../testing/test-client.js';
import { type TempDir, useTestServer } from '../testing/use-test-server.js';
import { createApp } from './app.js';

let dir: TempDir;
let server: SignalServer;
const clients = useTestServer(async (s, d) => {
  server = s;
  dir = d;
  await adminFetch(server, 'POST', '/api/v1/networks', { name: 'alpha', mode: 'l2' });
});

async function join(key: string, name = 'n1') {
  const res = await fetch(`${server.url}/api/v1/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(signJoinRequest(generateNodeKey().privateKey, { key, name, agentVersion: 't' })),
  });
  return {
    status: res.status,
    body: (await res.json()) as { error?: { code: string; message: string }; nodeId?: string },
  };
}

/** Routes anyone may call: agents join with a key, the console signs in, monitoring scrapes. */
const PUBLIC_ROUTES = [
  /^\/api\/v1\/info$/,
  /^\/api\/v1\/join/,
  /^\/api\/v1\/session/,
  /^\/healthz$/,
  /^\/metrics$/,
];

test('every admin route refuses a missing or wrong token', async () => {
  // Every route the app registers (so a route added later is covered without editing this test).
  const app = createApp(server.controlPlane, server.parts, {
    trusted: false,
    version: 't',
    streams: new Set(),
    dataDir: dir.path,
    browserLinks: new BrowserLinkRelay(server.parts.hub),
  });
  const routes = [
    ...new Set(
      app.routes
        .filter((r) => r.method !== 'ALL' && !PUBLIC_ROUTES.some((p) => p.test(r.path)))
        .map((r) => `${r.method} ${r.path.replace(/:[a-z]+/gi, 'x')}`),
    ),
  ].map((r) => r.split(' ') as [string, string]);
  expect(routes.length).toBeGreaterThan(15);
  for (const [method, path] of routes) {
    for (const auth of [undefined, 'Bearer nope']) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
        ...(method === 'GET' || method === 'HEAD' ? {} : { body: '{}' }),
      });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(ErrorCode.Unauthorized);
    }
  }
});

test('join keys: single-use works once; expired, revoked and forged keys are refused with a reason', async () => {
  const single = await adminFetch<CreateKeyResponse>(server, 'POST', '/api/v1/keys', { network: 'alpha' });
  expect((await join(single.body.key, 'a')).status).toBe(200);
  expect(await join(single.body.key, 'b')).toMatchObject({
    status: 403,
    body: { error: { code: ErrorCode.KeyUsed } },
  });

  const short = await adminFetch<CreateKeyResponse>(server, 'POST', '/api/v1/keys', {
    network: 'alpha',
    ttlSeconds: 1,
  });
  const expiresAt = short.body.info.expiresAt!;
  await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now() + 20)));
  expect(await join(short.body.key)).toMatchObject({
    status: 403,
    body: { error: { code: ErrorCode.KeyExpired } },
  });

  const revoked = await adminFetch<CreateKeyResponse>(server, 'POST', '/api/v1/keys', {
    network: 'alpha',
    reusable: true,
  });
  expect(
    (await adminFetch<JoinKeyInfo>(server, 'DELETE', `/api/v1/keys/${revoked.body.info.id}`)).body.valid,
  ).toBe(false);
  expect(await join(revoked.body.key)).toMatchObject({
    status: 403,
    body: { error: { code: ErrorCode.KeyRevoked } },
  });

  const forged = `${revoked.body.key.slice(0, -4)}AAAA`;
  expect(await join(forged)).toMatchObject({ status: 401, body: { error: { code: ErrorCode.InvalidKey } } });
  expect(await join('hello')).toMatchObject({ status: 401, body: { error: { code: ErrorCode.InvalidKey } } });
  expect(
    (await adminFetch<{ keys: JoinKeyInfo[] }>(server, 'GET', '/api/v1/keys')).body.keys.map((k) => k.valid),
  ).toEqual([false, false, false]);
});

test('bad REST bodies get 400 with a code, oversize bodies 413', async () => {
  const bad = await fetch(`${server.url}/api/v1/join`, {
    method: 'POST',
    body: '{nope',
    headers: { 'content-type': 'application/json' },
  });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: { code: string } }).error.code).toBe(ErrorCode.BadJson);
  // Counted as rejected input and as a failed join attempt.
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toMatch(/rtcmesh_rejected_inputs_total\{reason="bad-json"\} 1\b/);
  expect(metrics).toMatch(/rtcmesh_joins_total\{result="bad-json"\} 1\b/);
  const invalid = await adminFetch<{ error: { code: string } }>(server, 'POST', '/api/v1/networks', {
    name: 'x y',
    mode: 'l4',
  });
  expect(invalid).toMatchObject({ status: 400, body: { error: { code: ErrorCode.InvalidMessage } } });
  const dup = await adminFetch<{ error: { code: string } }>(server, 'POST', '/api/v1/networks', {
    name: 'alpha',
    mode: 'l2',
  });
  expect(dup).toMatchObject({ status: 409, body: { error: { code: ErrorCode.Conflict } } });
  const big = await fetch(`${server.url}/api/v1/join`, {
    method: 'POST',
    body: JSON.stringify({ key: 'x'.repeat(100_000) }),
  });
  expect(big.status).toBe(413);
  const badCidr = await adminFetch<{ error: { code: string } }>(server, 'POST', '/api/v1/networks', {
    name: 'tiny',
    mode: 'l3',
    cidr: '10.0.0.0/31',
  });
  expect(badCidr.status).toBe(400);
  // Control characters would rewrite an admin's terminal (an ANSI escape) or disguise text (a bidi
  // override) wherever the text is shown.
  for (const description of ['\u001b[2J\u001b[Hall good', 'evil\u202egnp.exe', 'two\nlines']) {
    const key = await adminFetch<{ error: { message: string } }>(server, 'POST', '/api/v1/keys', {
      network: 'alpha',
      description,
    });
    expect(key.status, JSON.stringify(description)).toBe(400);
    expect(key.body.error.message).toMatch(/control characters/);
  }
  const join = await fetch(`${server.url}/api/v1/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key: 'x', publicKey: 'x', name: 'n1', agentVersion: '1.0\u001b]0;pwned\u0007' }),
  });
  expect(join.status).toBe(400);
});

test('a join proves the node key, so its answers tell a stranger nothing about other networks', async () => {
  await adminFetch(server, 'POST', '/api/v1/networks', { name: 'beta', mode: 'l2' });
  const alphaKey = (
    await adminFetch<CreateKeyResponse>(server, 'POST', '/api/v1/keys', { network: 'alpha', reusable: true })
  ).body.key;
  const betaKey = (
    await adminFetch<CreateKeyResponse>(server, 'POST', '/api/v1/keys', { network: 'beta', reusable: true })
  ).body.key;
  const member = await joinNode(server, betaKey, 'beta-member');
  const post = (body: unknown) =>
    fetch(`${server.url}/api/v1/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { message: string } } }));
  // A holder of alpha's join key asks about beta's member key: without its private key the answer is
  // the same as for any key at all (once it was 409 "registered in another network").
  const stranger = generateNodeKey();
  const asked = { key: alphaKey, publicKey: member.key.publicKey, name: 'probe', agentVersion: 't' };
  const unknownKey = { ...asked, publicKey: stranger.publicKey };
  for (const body of [asked, unknownKey]) {
    expect(await post(body)).toMatchObject({
      status: 400,
      body: { error: { message: /proof: a join must be signed/ } },
    });
  }
  const forged = signJoinRequest(stranger.privateKey, { key: alphaKey, name: 'probe', agentVersion: 't' });
  for (const body of [
    { ...forged, publicKey: member.key.publicKey },
    { ...forged, name: 'other' },
  ]) {
    expect(await post(body)).toMatchObject({
      status: 400,
      body: { error: { message: /proof: not a signature/ } },
    });
  }
  // The key's holder is told, and a retried join in its own network gets its node back.
  const own = signJoinRequest(member.key.privateKey, {
    key: alphaKey,
    name: 'beta-member',
    agentVersion: 't',
  });
  expect(await post(own)).toMatchObject({
    status: 409,
    body: { error: { code: ErrorCode.PublicKeyRejected } },
  });
  const retried = signJoinRequest(member.key.privateKey, {
    key: betaKey,
    name: 'beta-member',
    agentVersion: 't',
  });
  expect(await post(retried)).toMatchObject({ status: 200, body: { nodeId: member.join.nodeId } });
});

test('address pool exhaustion is refused clearly and never hands out an address twice', async () => {
  await adminFetch(server, 'POST', '/api/v1/networks', { name: 'small', mode: 'l3', cidr: '10.1.2.0/30' });
  const key = await adminFetch<CreateKeyResponse>(server, 'POST', '/api/v1/keys', {
    network: 'small',
    reusable: true,
  });
  const a = await joinNode(server, key.body.key, 'a');
  const b = await joinNode(server, key.body.key, 'b');
  expect([a.join.addresses[0], b.join.addresses[0]]).toEqual(['10.1.2.1/30', '10.1.2.2/30']);
  expect(await join(key.body.key, 'c')).toMatchObject({
    status: 409,
    body: { error: { code: ErrorCode.AddressPoolExhausted } },
  });
});

test('telemetry is kept per (node, peer) and the live feed carries presence, telemetry and rejected joins', async () => {
  const key = await adminFetch<CreateKeyResponse>(server, 'POST', '/api/v1/keys', {
    network: 'alpha',
    reusable: true,
  });
  const n1 = await joinNode(server, key.body.key, 'one');
  const n2 = await joinNode(server, key.body.key, 'two');

  const ctrl = new AbortController();
  const res = await fetch(`${server.url}/api/v1/events`, {
    headers: { authorization: 'Bearer test-admin-token' },
    signal: ctrl.signal,
  });
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const events: FeedEvent[] = [];
  const reader = res.body!.getReader();
  const seen = (async () => {
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += new TextDecoder().decode(value);
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data && !block.includes('event: hello')) events.push(JSON.parse(data.slice(6)) as FeedEvent);
      }
      if (events.some((e) => e.kind === 'join-rejected')) return;
    }
  })();

  const c1 = await connectNode(server, n1);
  clients.push(c1.client);
  const link = {
    peerId: n2.join.nodeId,
    state: 'connected',
    path: 'direct',
    localCandidateType: 'host',
    remoteCandidateType: 'srflx',
    rttMs: 3.5,
    txBytes: 10,
    rxBytes: 20,
    txPackets: 1,
    rxPackets: 2,
    drops: 0,
    since: 1,
  };
  c1.client.send({ type: 'telemetry', links: [link] });
  c1.client.send({
    type: 'event',
    event: { kind: 'mac-move', message: 'MAC 02:00:00:00:00:09 moved', peerId: n2.join.nodeId },
  });
  c1.client.send({ type: 'ping', ts: 0 });
  await c1.client.next('pong');
  await join('rtcmesh-key-aaaaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbb', 'intruder');
  await seen;
  ctrl.abort();

  expect(events.map((e) => e.kind)).toEqual(['presence', 'telemetry', 'agent-event', 'join-rejected']);
  expect(events[0]).toMatchObject({ kind: 'presence', nodeId: n1.join.nodeId, online: true });
  expect(events[3]).toMatchObject({ code: ErrorCode.InvalidKey, name: 'intruder' });

  const t = await adminFetch<{ links: { nodeId: string; link: { peerId: string; rttMs: number } }[] }>(
    server,
    'GET',
    '/api/v1/telemetry?network=alpha',
  );
  expect(t.body.links).toMatchObject([
    { nodeId: n1.join.nodeId, link: { peerId: n2.join.nodeId, rttMs: 3.5 } },
  ]);
  // Agents' events are counted by kind for Prometheus (a workload moving between sites shows there).
  expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(
    /rtcmesh_agent_events_total\{kind="mac-move"\} 1\b/,
  );
  const nodes = await adminFetch<{ nodes: { nodeId: string; online: boolean }[] }>(
    server,
    'GET',
    '/api/v1/nodes',
  );
  expect(nodes.body.nodes.map((n) => [n.nodeId, n.online])).toEqual([
    [n1.join.nodeId, true],
    [n2.join.nodeId, false],
  ]);
});

test('healthz and metrics', async () => {
  expect(await (await fetch(`${server.url}/healthz`)).json()).toMatchObject({ ok: true, sessions: 0 });
  const text = await (await fetch(`${server.url}/metrics`)).text();
  expect(text).toMatch(/# TYPE rtcmesh_sessions gauge/);
  expect(text).toMatch(/# TYPE rtcmesh_rejected_inputs_total counter/);
});
