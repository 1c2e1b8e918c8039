import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Backoff } from '@rtcmesh/limits';
import { CloseCode, generateNodeKey, importPrivateKey } from '@rtcmesh/protocol';
import { pino } from 'pino';
import { afterEach, expect, test } from 'vitest';
import { WebSocketServer } from 'ws';
import { ControlClient } from './control-client.js';

type FakeServer = { url: string; hellos: number; close(): Promise<void> };
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A signaling endpoint that counts `hello`s; `onHello` decides what happens next. */
async function fakeServer(
  onHello: (close: (code: number, reason: string) => void) => void,
): Promise<FakeServer> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http, path: '/ws' });
  const s: FakeServer = {
    url: '',
    hellos: 0,
    close: () =>
      new Promise((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        http.close(() => r());
      }),
  };
  wss.on('connection', (ws) =>
    ws.on('message', (data) => {
      if ((JSON.parse(data.toString()) as { type?: string }).type !== 'hello') return;
      s.hellos++;
      onHello((code, reason) => ws.close(code, reason));
    }),
  );
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  s.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  cleanup.push(() => s.close());
  return s;
}

/** A port nothing listens on (bound, then released). */
async function deadUrl(): Promise<string> {
  const http = createServer();
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as AddressInfo).port;
  await new Promise((r) => http.close(r));
  return `http://127.0.0.1:${port}`;
}

function client(urls: string[]): ControlClient {
  const c = new ControlClient({
    serverUrls: urls,
    nodeId: 'n-abc',
    privateKey: importPrivateKey(generateNodeKey().privateKey),
    agentVersion: 't',
    logger: pino({ level: 'silent' }),
    // A long backoff: a hand-over that waited for it would time the test out.
    backoff: new Backoff(30_000, 60_000),
  });
  cleanup.push(() => c.stop());
  return c;
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('an unreachable first URL hands over to the next one without waiting for the backoff', async () => {
  const b = await fakeServer(() => undefined);
  const c = client([await deadUrl(), b.url]);
  c.start();
  await waitFor(() => b.hellos === 1, 3000);
  expect(c.serverUrl).toBe(b.url);
});

test('an instance that says reconnect-elsewhere sends the client to the next URL at once', async () => {
  const a = await fakeServer((close) => close(CloseCode.ReconnectElsewhere, 'reconnect-elsewhere'));
  const b = await fakeServer(() => undefined);
  const c = client([a.url, b.url]);
  c.start();
  await waitFor(() => b.hellos === 1, 3000);
  expect(a.hellos).toBe(1);
  expect(c.serverUrl).toBe(b.url);
});

test('with one URL, reconnect-elsewhere means the usual backoff (no tight loop)', async () => {
  const a = await fakeServer((close) => close(CloseCode.ReconnectElsewhere, 'reconnect-elsewhere'));
  const c = client([a.url]);
  c.start();
  await waitFor(() => a.hellos === 1);
  await new Promise((r) => setTimeout(r, 500));
  expect(a.hellos).toBe(1);
});
