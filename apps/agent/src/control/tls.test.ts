import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateNodeKey, importPrivateKey, type JoinResponse } from '@rtcmesh/protocol';
import { createTestPki, type TestPki } from '@rtcmesh/testkit';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { ControlClient } from './control-client.js';
import { JoinError, joinNetwork } from './join.js';
import { loadCaFile } from './tls-trust.js';

let dir: string;
let pki: TestPki;
let ca: Buffer;
const servers: { close(): void }[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rtcmesh-agent-tls-'));
  pki = createTestPki(dir);
  ca = loadCaFile(pki.caFile);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

const answer: JoinResponse = {
  nodeId: 'n-abc',
  name: 'web',
  network: { id: 'net-abc', name: 'alpha', mode: 'l2', cidr: '10.99.0.0/24', mtu: 1280 },
  addresses: ['10.99.0.2/24'],
  mac: '02:00:00:00:00:02',
};
const request = { key: 'k', publicKey: generateNodeKey().publicKey, name: 'web', agentVersion: 't' };

function handler(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
  });
}

/** An HTTPS + WSS server on 127.0.0.1 with a certificate from the test CA; records WebSocket messages. */
async function tlsServer(cert: { certFile: string; keyFile: string }) {
  const server: Server = createServer(
    { cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) },
    handler,
  );
  const wss = new WebSocketServer({ server, path: '/ws' });
  const messages: string[] = [];
  wss.on('connection', (ws) => ws.on('message', (m) => messages.push(String(m))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push({
    close: () => {
      wss.close();
      server.close();
      server.closeAllConnections();
    },
  });
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, messages };
}

async function joinError(url: string, opts: { ca?: Buffer } = {}): Promise<JoinError> {
  const err = await joinNetwork(url, request, opts).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(JoinError);
  return err as JoinError;
}

test('the REST join verifies the server certificate; --ca-file trusts a private CA', async () => {
  const { url } = await tlsServer(pki.issue('signal'));
  expect(await joinNetwork(url, request, { ca })).toEqual(answer);
  const unknown = await joinError(url);
  expect(unknown).toMatchObject({ code: 'tls-certificate', retryable: false });
  expect(unknown.message).toMatch(/signed by an unknown CA .*--ca-file/);
});

test('certificate errors name the problem: wrong name, expired, not TLS at all', async () => {
  const wrongName = await tlsServer(pki.issue('other', { san: 'DNS:other.example' }));
  expect((await joinError(wrongName.url, { ca })).message).toMatch(
    /certificate of 127\.0\.0\.1:\d+ is for another name/,
  );
  const expired = await tlsServer(pki.issue('expired', { days: -1 }));
  expect((await joinError(expired.url, { ca })).message).toMatch(/certificate of .* has expired/);
  const plain = createHttpServer(handler);
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  servers.push({ close: () => plain.close() });
  const port = (plain.address() as AddressInfo).port;
  expect((await joinError(`https://127.0.0.1:${port}`, { ca })).message).toMatch(/does not speak TLS/);
});

test('a rate-limited join is retryable after the Retry-After the server names', async () => {
  const server = createHttpServer((req, res) => {
    req.resume();
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
    res.end(JSON.stringify({ error: { code: 'rate-limited', message: 'too many join attempts' } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push({ close: () => server.close() });
  const err = await joinError(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  expect(err).toMatchObject({ code: 'rate-limited', retryable: true, retryAfterMs: 7000 });
});

test('the control WebSocket verifies the certificate too and reports why it cannot connect', async () => {
  const { url, messages } = await tlsServer(pki.issue('signal2'));
  const key = generateNodeKey();
  const make = (trust?: Buffer) =>
    new ControlClient({
      serverUrls: [url],
      nodeId: 'n-abc',
      privateKey: importPrivateKey(key.privateKey),
      agentVersion: 't',
      logger: pino({ level: 'silent' }),
      ...(trust ? { ca: trust } : {}),
    });
  const trusting = make(ca);
  trusting.start();
  await waitFor(() => messages.length > 0);
  expect(JSON.parse(messages[0]!)).toMatchObject({ type: 'hello', nodeId: 'n-abc' });
  await trusting.stop();

  const distrusting = make();
  distrusting.start();
  await waitFor(() => distrusting.lastError !== null);
  expect(distrusting.lastError).toMatch(/signed by an unknown CA/);
  expect(messages).toHaveLength(1);
  await distrusting.stop();
});

test('a bad --ca-file is refused with its name', () => {
  expect(() => loadCaFile(join(dir, 'nope.pem'))).toThrow(/--ca-file .*nope\.pem: cannot read \(ENOENT\)/);
  expect(() => loadCaFile(pki.issue('k').keyFile)).toThrow(/not a PEM certificate/);
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
