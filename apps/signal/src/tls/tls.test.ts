import { copyFileSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { PROTOCOL_VERSION } from '@rtcmesh/protocol';
import { createTestPki, type TestPki } from '@rtcmesh/testkit';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import { startTestServer, TestClient, tempDir } from '../testing/test-client.js';

let pkiDir: ReturnType<typeof tempDir>;
let pki: TestPki;
let ca: Buffer;
let dir: ReturnType<typeof tempDir>;
let server: SignalServer | undefined;

beforeAll(() => {
  pkiDir = tempDir();
  pki = createTestPki(pkiDir.path);
  ca = readFileSync(pki.caFile);
});
afterAll(() => pkiDir.remove());
afterEach(async () => {
  await server?.close();
  server = undefined;
  dir?.remove();
});

function get(
  url: string,
  trust?: Buffer,
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: trust }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The CN of the certificate a fresh TLS connection is served. */
function servedName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca }, () => {
      const cn = s.getPeerCertificate().subject.CN;
      s.end();
      resolve(String(cn));
    });
    s.on('error', reject);
  });
}

async function startTls(name = 'signal'): Promise<SignalServer & { certFile: string; keyFile: string }> {
  dir = tempDir();
  const { certFile, keyFile } = pki.issue(name);
  server = await startTestServer(dir.path, { tls: { certFile, keyFile } });
  return Object.assign(server, { certFile, keyFile });
}

test('with --tls-cert/--tls-key the same port serves HTTPS and WSS; clients that do not trust the CA are refused', async () => {
  const s = await startTls();
  expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  expect(s.wsUrl).toMatch(/^wss:\/\//);
  expect(await get(`${s.url}/healthz`, ca)).toMatchObject({ status: 200 });
  await expect(get(`${s.url}/healthz`)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });

  const c = await TestClient.connect(s.wsUrl, { ca });
  c.send({ type: 'hello', versions: [PROTOCOL_VERSION], nodeId: 'n-x', agentVersion: 't' });
  expect((await c.next('challenge')).version).toBe(PROTOCOL_VERSION);
  c.close();
  await expect(TestClient.connect(s.wsUrl)).rejects.toMatchObject({
    code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  });
  // Plain HTTP on the TLS port gets nothing useful.
  await expect(fetch(s.url.replace('https', 'http'))).rejects.toThrow();
});

test('reloadTls serves a renewed certificate to new connections; a broken renewal keeps the old one', async () => {
  const s = await startTls('before');
  expect(await servedName(s.port)).toBe('before');
  // A renewal replaces the files in place (certbot); the CLI calls reloadTls on SIGHUP.
  const renewed = pki.issue('after');
  const { certFile, keyFile } = s;
  copyFileSync(renewed.certFile, certFile);
  copyFileSync(renewed.keyFile, keyFile);
  s.reloadTls();
  expect(await servedName(s.port)).toBe('after');
  // A half-written renewal (cert replaced, key not yet) is refused and the working pair stays.
  copyFileSync(pki.issue('third').certFile, certFile);
  expect(() => s.reloadTls()).toThrow(/does not belong to the certificate/);
  expect(await servedName(s.port)).toBe('after');
});

test('bad TLS files fail at startup with a message naming the file and the problem', async () => {
  dir = tempDir();
  const good = pki.issue('good');
  const other = pki.issue('other');
  const expired = pki.issue('expired', { days: -1 });
  const start = (certFile: string, keyFile: string) =>
    startTestServer(dir.path, { tls: { certFile, keyFile } });
  await expect(start(good.certFile, other.keyFile)).rejects.toThrow(/does not belong to the certificate/);
  await expect(start(expired.certFile, expired.keyFile)).rejects.toThrow(/expired on/);
  await expect(start(`${dir.path}/missing.pem`, good.keyFile)).rejects.toThrow(
    /--tls-cert .*missing\.pem: cannot read \(ENOENT\)/,
  );
  await expect(start(good.keyFile, good.keyFile)).rejects.toThrow(/not a PEM certificate/);
});

test('over HTTPS browsers are told to stay on HTTPS (HSTS); plain HTTP does not send it', async () => {
  const s = await startTls();
  const r = await get(`${s.url}/healthz`, ca);
  expect(r.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  const plainDir = tempDir();
  const plain = await startTestServer(plainDir.path);
  try {
    const res = await fetch(`${plain.url}/healthz`);
    expect(res.headers.get('strict-transport-security')).toBeNull();
  } finally {
    await plain.close();
    plainDir.remove();
  }
});
