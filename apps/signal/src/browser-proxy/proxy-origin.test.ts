import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserSessionInfo, type BrowserSessionResponse, generateNodeKey } from '@rtcmesh/protocol';
import { expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import { adminFetch, connectNode, createNetworkWithKey, joinNode, tempDir } from '../testing/test-client.js';
import { useTestServer } from '../testing/use-test-server.js';

// A stand-in for the built console: the proxy origin serves only its shell files.
const consoleDir = tempDir();
mkdirSync(join(consoleDir.path, 'assets'));
writeFileSync(join(consoleDir.path, 'index.html'), '<title>console</title>');
writeFileSync(join(consoleDir.path, 'proxy.html'), '<title>shell</title>');
writeFileSync(join(consoleDir.path, 'sw.js'), '// worker');
writeFileSync(join(consoleDir.path, 'ws-shim.js'), '// shim');

let server: SignalServer;
let key = '';
const clients = useTestServer(
  async (s) => {
    server = s;
    key = (await createNetworkWithKey(server, 'alpha', { cidr: '10.77.0.0/24' })).key;
  },
  { consoleDir: consoleDir.path, browserProxy: { host: '127.0.0.1', port: 0 } },
);

const proxyOrigin = () => `http://127.0.0.1:${server.browserProxyPort}`;

test('the console mints a session; its url is on the proxy origin, which serves only the shell', async () => {
  const a = await joinNode(server, key, 'web-1', generateNodeKey());
  const bad = await adminFetch<{ error: { message: string } }>(
    server,
    'POST',
    `/api/v1/nodes/${a.join.nodeId}/browser-sessions`,
    { target: 'ftp://127.0.0.1/' },
  );
  expect(bad.status).toBe(400);
  expect(bad.body.error.message).toMatch(/scheme ftp: is not one of http:, https:, tcp:/);
  const minted = await adminFetch<BrowserSessionResponse>(
    server,
    'POST',
    `/api/v1/nodes/${a.join.nodeId}/browser-sessions`,
    { target: 'http://127.0.0.1:3000/' },
  );
  expect(minted.status).toBe(201);
  expect(minted.body.url).toBe(`${proxyOrigin()}/s/${minted.body.sessionId}/`);
  expect(minted.body.sessionId).toMatch(/^bs-[A-Za-z0-9_-]{43}$/);

  const shell = await fetch(minted.body.url);
  expect(shell.status).toBe(200);
  expect(await shell.text()).toBe('<title>shell</title>');
  expect(shell.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  const info = (await (
    await fetch(`${proxyOrigin()}/s/${minted.body.sessionId}/info`)
  ).json()) as BrowserSessionInfo;
  expect(info).toMatchObject({ node: 'web-1', target: 'http://127.0.0.1:3000/', principal: 'browser:admin' });
  const worker = await fetch(`${proxyOrigin()}/__rtcmesh/sw.js`);
  expect(worker.headers.get('service-worker-allowed')).toBe('/');

  // Not a capability: a made-up session, and nothing of the console or its API on this origin.
  expect((await fetch(`${proxyOrigin()}/s/bs-${'A'.repeat(43)}/info`)).status).toBe(404);
  expect((await fetch(`${proxyOrigin()}/`)).status).toBe(404);
  const api = await fetch(`${proxyOrigin()}/api/v1/networks`, {
    headers: { authorization: 'Bearer test-admin-token' },
  });
  expect(api.status).toBe(404);
  expect(api.headers.get('access-control-allow-origin')).toBeNull();

  // Audited with who, which node, which target.
  const audit = await adminFetch<{ entries: { action: string; target: string | null }[] }>(
    server,
    'GET',
    '/api/v1/audit',
  );
  expect(audit.body.entries).toContainEqual(
    expect.objectContaining({ action: 'browser-session.open', target: 'web-1 http://127.0.0.1:3000/' }),
  );
});

test("the tab's offer reaches the node with the session's principal and target; the answer comes back", async () => {
  const a = await joinNode(server, key, 'web-1', generateNodeKey());
  const ca = (await connectNode(server, a)).client;
  clients.push(ca);
  const minted = await adminFetch<BrowserSessionResponse>(
    server,
    'POST',
    `/api/v1/nodes/${a.join.nodeId}/browser-sessions`,
    { target: 'tcp://127.0.0.1:6379' },
  );
  const pending = fetch(`${proxyOrigin()}/s/${minted.body.sessionId}/link`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sdp: 'v=0 tab offer' }),
  });
  const got = await ca.next('browser-signal');
  expect(got.proxy).toEqual({
    sessionId: minted.body.sessionId,
    principal: 'browser:admin',
    target: 'tcp://127.0.0.1:6379',
  });
  ca.send({
    type: 'browser-signal',
    linkId: got.linkId,
    data: {
      kind: 'bye',
      reason: 'refused by the network policy: no rule accepts browser:admin to 127.0.0.1:6379',
    },
  });
  const res = await pending;
  expect(res.status).toBe(503);
  // The node's report of a session's end lands in the audit log beside its opening.
  ca.send({
    type: 'event',
    event: {
      kind: 'browser-session',
      message: 'browser:admin closed tcp://127.0.0.1:6379',
      details: {
        state: 'closed',
        principal: 'browser:admin',
        target: 'tcp://127.0.0.1:6379',
        bytesToBrowser: 1200,
        bytesFromBrowser: 30,
        durationS: 4,
      },
    },
  });
  await expect
    .poll(
      async () =>
        (
          await adminFetch<{ entries: { action: string; actor: string; target: string | null }[] }>(
            server,
            'GET',
            '/api/v1/audit',
          )
        ).body.entries,
    )
    .toContainEqual(
      expect.objectContaining({
        action: 'browser-session.close',
        actor: 'browser:admin',
        target: `${a.join.nodeId} tcp://127.0.0.1:6379 1200B/30B 4s`,
      }),
    );
  expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
    /refused by the network policy: no rule accepts browser:admin/,
  );
});
