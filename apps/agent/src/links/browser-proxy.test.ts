import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CandidateAddressFilter } from '@rtcmesh/peer';
import { browserAccess, type Policy } from '@rtcmesh/policy';
import type {
  BrowserProxySession,
  BrowserStreamOpen,
  BrowserStreamReply,
  SignalData,
} from '@rtcmesh/protocol';
import { createTestPki, waitUntil } from '@rtcmesh/testkit';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { type RTCDataChannel, RTCPeerConnection } from 'werift';
import { WebSocketServer } from 'ws';
import { BrowserPeers, type BrowserSessionEvent } from './browser-peer.js';

const log = pino({ level: 'silent' });
const SELF = { id: 'n-self', name: 'web-1', tags: [], addresses: ['10.99.0.1/24'], routes: [] };

/** The service a node runs on its loopback: pages, a redirect, a cookie, an echo, a big file, a WebSocket echo. */
let web: Server;
let webPort = 0;
let tcpPort = 0;
let closePort = 0;
const servers: { close(): void }[] = [];

beforeAll(async () => {
  web = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><html><head><title>t</title></head><body>hello</body></html>');
    } else if (url.pathname === '/redirect') {
      res.writeHead(302, { location: '/landed' }).end();
    } else if (url.pathname === '/login') {
      res.writeHead(200, { 'set-cookie': 'sid=s3cret; Path=/; HttpOnly' }).end('ok');
    } else if (url.pathname === '/whoami') {
      res.end(
        JSON.stringify({
          cookie: req.headers.cookie ?? null,
          host: req.headers.host,
          origin: req.headers.origin ?? null,
        }),
      );
    } else if (url.pathname === '/echo') {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => res.end(Buffer.concat(parts)));
    } else if (url.pathname === '/gz') {
      res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('compressed body'));
    } else if (url.pathname === '/slow') {
      setTimeout(() => res.end('late'), 1500);
    } else if (url.pathname === '/big') {
      res.end(Buffer.alloc(1024 * 1024, 7));
    } else res.writeHead(404).end('no');
  });
  const wss = new WebSocketServer({ server: web, path: '/ws' });
  wss.on('connection', (ws) => ws.on('message', (d, binary) => ws.send(binary ? d : `echo:${d.toString()}`)));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  webPort = (web.address() as AddressInfo).port;
  servers.push(web, wss);
  const tcp = createTcpServer((s) => s.on('data', (d) => s.write(`+${d.toString().trim()}\r\n`)));
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  tcpPort = (tcp.address() as AddressInfo).port;
  servers.push(tcp);
  // A port nothing listens on.
  const probe = createTcpServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closePort = (probe.address() as AddressInfo).port;
  probe.close();
});

afterAll(() => {
  for (const s of servers) s.close();
});

const opened: RTCPeerConnection[] = [];
let peers: BrowserPeers | undefined;
afterEach(async () => {
  await peers?.close();
  peers = undefined;
  for (const pc of opened.splice(0)) await pc.close();
});

function policyAllowing(dst: string[]): Policy {
  return { rules: [{ action: 'accept', src: ['browser:admin'], dst, proto: 'tcp' }] };
}

/** An agent's BrowserPeers and a werift stand-in for the browser tab, linked for one proxy session. */
async function session(
  target: string,
  policy: Policy,
  opts: { maxStreams?: number; connectTimeoutMs?: number } = {},
) {
  const sent: { linkId: string; data: SignalData }[] = [];
  const events: BrowserSessionEvent[] = [];
  peers = new BrowserPeers({
    logger: log,
    sendSignal: (linkId, data) => sent.push({ linkId, data }) > 0,
    candidateFilter: new CandidateAddressFilter({ additionalHostAddresses: ['127.0.0.1'] }),
    iceServers: () => [],
    access: (principal, ip, port) => browserAccess(policy, principal, { ip, port }, [SELF], SELF.id),
    onSessionEvent: (e) => events.push(e),
    proxyLimits: {
      ...(opts.maxStreams ? { maxStreams: opts.maxStreams } : {}),
      ...(opts.connectTimeoutMs ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
    },
  });
  const pc = new RTCPeerConnection({ iceAdditionalHostAddresses: ['127.0.0.1'] });
  opened.push(pc);
  const probe = pc.createDataChannel('probe', { negotiated: true, id: 0, ordered: true });
  await pc.setLocalDescription(await pc.createOffer());
  await waitUntil('gathering', () => (pc.iceGatheringState === 'complete' ? true : undefined));
  const proxy: BrowserProxySession = { sessionId: 'bs-test-session-1', principal: 'browser:admin', target };
  peers.handle(
    'bl-proxy-link-1',
    { kind: 'description', description: { type: 'offer', sdp: pc.localDescription?.sdp ?? '' } },
    proxy,
  );
  const answer = await waitUntil('answer', () => sent.find((s) => s.linkId === 'bl-proxy-link-1')?.data);
  if (answer.kind === 'description') {
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.description.sdp });
    await waitUntil('probe open', () => (probe.readyState === 'open' ? true : undefined));
  }
  return { pc, answer, events };
}

type Exchange = { replies: BrowserStreamReply[]; body: Buffer; texts: string[]; ch: RTCDataChannel };

/** Opens a stream, sends the open request and `then` (body chunks / text), collects what comes back. */
async function stream(pc: RTCPeerConnection, open: BrowserStreamOpen, then: (string | Buffer)[] = []) {
  const ch = pc.createDataChannel('stream', { ordered: true });
  const ex: Exchange = { replies: [], body: Buffer.alloc(0), texts: [], ch };
  const parts: Buffer[] = [];
  ch.onMessage.subscribe((m) => {
    if (typeof m === 'string') {
      try {
        const r = JSON.parse(m) as BrowserStreamReply;
        if (typeof r === 'object' && r && 't' in r) ex.replies.push(r);
        else ex.texts.push(m);
      } catch {
        ex.texts.push(m);
      }
    } else {
      parts.push(m);
      ex.body = Buffer.concat(parts);
    }
  });
  await waitUntil('stream open', () => (ch.readyState === 'open' ? true : undefined));
  ch.send(JSON.stringify(open));
  for (const m of then) ch.send(m);
  return ex;
}

const ended = (ex: Exchange) => (ex.replies.some((r) => r.t === 'end' || r.t === 'error') ? true : undefined);

describe('browser proxy sessions on the agent', { timeout: 30_000 }, () => {
  test('HTTP through the link: a page, a redirect as is, a POST body, gzip kept, 1 MiB streamed', async () => {
    const { pc, answer, events } = await session(`http://127.0.0.1:${webPort}/`, policyAllowing(['web-1:*']));
    expect(answer.kind).toBe('description');
    await waitUntil('opened event', () => events.find((e) => e.kind === 'opened'));
    const page = await stream(
      pc,
      { t: 'http', method: 'GET', path: '/', headers: [['accept', 'text/html']] },
      ['{"t":"end"}'],
    );
    await waitUntil('page', () => ended(page));
    expect(page.replies[0]).toMatchObject({ t: 'response', status: 200 });
    expect(page.body.toString()).toContain('hello');
    const redirect = await stream(pc, { t: 'http', method: 'GET', path: '/redirect', headers: [] }, [
      '{"t":"end"}',
    ]);
    await waitUntil('redirect', () => ended(redirect));
    const head = redirect.replies[0];
    expect(head?.t === 'response' && head.status).toBe(302);
    expect(head?.t === 'response' && head.headers.find(([k]) => k.toLowerCase() === 'location')?.[1]).toBe(
      '/landed',
    );
    const payload = Buffer.alloc(40_000, 3);
    const echo = await stream(
      pc,
      { t: 'http', method: 'POST', path: '/echo', headers: [['content-type', 'application/octet-stream']] },
      [payload.subarray(0, 16_384), payload.subarray(16_384), '{"t":"end"}'],
    );
    await waitUntil('echo', () => ended(echo));
    expect(echo.body.equals(payload)).toBe(true);
    const gz = await stream(pc, { t: 'http', method: 'GET', path: '/gz', headers: [] }, ['{"t":"end"}']);
    await waitUntil('gz', () => ended(gz));
    const gzHead = gz.replies[0];
    expect(
      gzHead?.t === 'response' &&
        gzHead.headers.some(([k, v]) => k.toLowerCase() === 'content-encoding' && v === 'gzip'),
    ).toBe(true);
    const big = await stream(pc, { t: 'http', method: 'GET', path: '/big', headers: [] }, ['{"t":"end"}']);
    await waitUntil('big', () => ended(big), 20_000);
    expect(big.body.byteLength).toBe(1024 * 1024);
    expect(peers?.sessions()[0]).toMatchObject({ streams: 5, bytesFromBrowser: 40_000 + 5 * 11 });
    expect(peers?.sessions()[0]?.bytesToBrowser).toBeGreaterThan(1024 * 1024);
  });

  test('only connecting has a deadline: an answer that takes longer (a long poll) still arrives', async () => {
    const { pc } = await session(`http://127.0.0.1:${webPort}/`, policyAllowing(['web-1:*']), {
      connectTimeoutMs: 500,
    });
    const slow = await stream(pc, { t: 'http', method: 'GET', path: '/slow', headers: [] }, ['{"t":"end"}']);
    await waitUntil('slow answer', () => ended(slow));
    expect(slow.replies[0]).toMatchObject({ t: 'response', status: 200 });
    expect(slow.body.toString()).toBe('late');
  });

  test('cookies stay in the session on the agent; the service sees its own Host and Origin', async () => {
    const { pc } = await session(`http://localhost:${webPort}`, policyAllowing(['web-1:*']));
    const login = await stream(pc, { t: 'http', method: 'GET', path: '/login', headers: [] }, [
      '{"t":"end"}',
    ]);
    await waitUntil('login', () => ended(login));
    const head = login.replies[0];
    // The tab never sees Set-Cookie: the jar is the agent's, per session.
    expect(head?.t === 'response' && head.headers.some(([k]) => k.toLowerCase() === 'set-cookie')).toBe(
      false,
    );
    const who = await stream(
      pc,
      { t: 'http', method: 'POST', path: '/whoami', headers: [['cookie', 'forged=1']] },
      ['{"t":"end"}'],
    );
    await waitUntil('whoami', () => ended(who));
    expect(JSON.parse(who.body.toString())).toEqual({
      cookie: 'sid=s3cret',
      host: `localhost:${webPort}`,
      origin: `http://localhost:${webPort}`,
    });
  });

  test('a WebSocket to the service carries text and binary both ways', async () => {
    const { pc } = await session(`http://127.0.0.1:${webPort}/`, policyAllowing(['web-1:*']));
    const ws = await stream(pc, { t: 'ws', path: '/ws', protocols: [] });
    await waitUntil('ws open', () => ws.replies.find((r) => r.t === 'open'));
    ws.ch.send('hi');
    ws.ch.send(Buffer.from([1, 2, 3]));
    // After `open`, text messages are frames: the echo comes back as text, not as a reply.
    await waitUntil('text echo', () => (ws.texts.includes('echo:hi') ? true : undefined));
    await waitUntil('binary echo', () => (ws.body.byteLength === 3 ? true : undefined));
    expect([...ws.body]).toEqual([1, 2, 3]);
  });

  test('a tcp:// session is one raw connection', async () => {
    const { pc } = await session(`tcp://127.0.0.1:${tcpPort}`, policyAllowing(['web-1:*']));
    const t = await stream(pc, { t: 'tcp' });
    await waitUntil('tcp open', () => t.replies.find((r) => r.t === 'open'));
    t.ch.send(Buffer.from('PING\r\n'));
    await waitUntil('reply', () => (t.body.toString() === '+PING\r\n' ? true : undefined));
    // HTTP on a tcp:// session is refused.
    const h = await stream(pc, { t: 'http', method: 'GET', path: '/', headers: [] });
    await waitUntil('refusal', () => ended(h));
    expect(h.replies[0]).toMatchObject({ t: 'error', code: 'bad-request' });
  });

  test('the policy decides: a target no rule names is refused before the link exists', async () => {
    const { answer, events } = await session(`http://127.0.0.1:${webPort}/`, policyAllowing(['web-1:22']));
    expect(answer).toMatchObject({ kind: 'bye' });
    expect(answer.kind === 'bye' && answer.reason).toMatch(
      /refused by the network policy: no rule accepts browser:admin to 127\.0\.0\.1:\d+/,
    );
    expect(events).toEqual([expect.objectContaining({ kind: 'refused', principal: 'browser:admin' })]);
    // A policy that names no browser lets none in, whatever its default.
    const none = await session(`http://127.0.0.1:${webPort}/`, { default: 'allow' });
    expect(none.answer).toMatchObject({ kind: 'bye' });
  });

  test('errors a user can act on: refused port, bad open request, too many streams', async () => {
    const { pc } = await session(`http://127.0.0.1:${closePort}/`, policyAllowing(['*:*']), {
      maxStreams: 2,
    });
    const refused = await stream(pc, { t: 'http', method: 'GET', path: '/', headers: [] }, ['{"t":"end"}']);
    await waitUntil('refused', () => ended(refused));
    expect(refused.replies[0]).toMatchObject({
      t: 'error',
      code: 'unreachable',
      message: `127.0.0.1:${closePort} refused the connection`,
    });
    const bad = pc.createDataChannel('stream', { ordered: true });
    const badReplies: string[] = [];
    bad.onMessage.subscribe((m) => badReplies.push(m.toString()));
    await waitUntil('bad open', () => (bad.readyState === 'open' ? true : undefined));
    bad.send(JSON.stringify({ t: 'http', method: 'get', path: 'nope', headers: [] }));
    await waitUntil('bad reply', () => badReplies[0]);
    expect(JSON.parse(badReplies[0] ?? '{}')).toMatchObject({ t: 'error', code: 'bad-request' });
  });

  test('an https:// service whose certificate the node does not trust gets a page that says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rtm-proxy-tls-'));
    const cert = createTestPki(dir).issue('service');
    const tls = createHttpsServer(
      { cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) },
      (_q, r) => r.end('secret'),
    );
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    try {
      const port = (tls.address() as AddressInfo).port;
      const { pc } = await session(`https://127.0.0.1:${port}/`, policyAllowing(['web-1:*']));
      const ex = await stream(pc, { t: 'http', method: 'GET', path: '/', headers: [] }, ['{"t":"end"}']);
      await waitUntil('tls refusal', () => ended(ex));
      expect(ex.replies[0]).toMatchObject({
        t: 'error',
        code: 'tls',
        message: `127.0.0.1:${port} is not trusted by this node: its certificate is signed by a CA the node does not know`,
      });
      expect(ex.body.byteLength).toBe(0);
    } finally {
      tls.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('streams per session are bounded: one more than the limit is refused, the others keep working', async () => {
    const { pc, events } = await session(`tcp://127.0.0.1:${tcpPort}`, policyAllowing(['web-1:*']), {
      maxStreams: 2,
    });
    const a = await stream(pc, { t: 'tcp' });
    const b = await stream(pc, { t: 'tcp' });
    await waitUntil('two open', () => (a.replies.length && b.replies.length ? true : undefined));
    const c = await stream(pc, { t: 'tcp' });
    await waitUntil('limit', () => c.replies[0]);
    expect(c.replies[0]).toMatchObject({ t: 'error', code: 'limit' });
    a.ch.send(Buffer.from('STILL\r\n'));
    await waitUntil('a works', () => (a.body.toString() === '+STILL\r\n' ? true : undefined));
    expect(events.some((e) => e.kind === 'refused' && /more than 2 streams/.test(e.reason))).toBe(true);
  });
});
