import {
  BROWSER_LINK_CHANNEL,
  BROWSER_PROXY_LIMITS,
  BROWSER_STREAM_LABEL,
  type BrowserSessionInfo,
  type BrowserStreamOpen,
  type BrowserStreamReply,
  browserTargetOrigin,
  parseBrowserTarget,
} from '@rtcmesh/protocol/browser';
import { gathered, selectedPair, until } from '../webrtc.js';
import {
  type FetchAsk,
  type FetchReply,
  PAGE_PREFIX,
  SESSION_PATH,
  type WsAsk,
  type WsMessage,
} from './messages.js';

/**
 * The shell of a proxy session (issue 20), on the proxy origin at `/s/<session>/`: it opens the
 * WebRTC link to the node (signaled through the server with the session id, complete SDPs as the
 * browser ping does), then shows the service in a frame whose every request the service worker hands
 * back here to carry over the link, one data channel per exchange. A tcp:// session shows a terminal
 * instead. The bar on top says where the tab is connected to and by which path.
 */

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const bar = $<HTMLDivElement>('bar');
const statusLine = $<HTMLSpanElement>('status');
const main = $<HTMLDivElement>('main');

const sessionId = SESSION_PATH.exec(location.pathname)?.[1] ?? '';
let pc: RTCPeerConnection | undefined;
let targetOrigin = '';
const totals = { streams: 0, down: 0, up: 0 };

function setStatus(text: string): void {
  statusLine.textContent = text;
}

function fail(title: string, detail: string): void {
  main.replaceChildren();
  const box = document.createElement('div');
  box.className = 'failure';
  box.setAttribute('role', 'alert');
  const h = document.createElement('h1');
  h.textContent = title;
  const p = document.createElement('p');
  p.textContent = detail;
  box.append(h, p);
  main.append(box);
  setStatus(title);
}

async function errorText(res: Response): Promise<string> {
  const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  return body?.error?.message ?? `HTTP ${res.status}`;
}

async function start(): Promise<void> {
  if (!sessionId) return fail('Not a session', 'Open a service from the console ("Open in browser").');
  const infoRes = await fetch(`/s/${sessionId}/info`);
  if (!infoRes.ok) return fail('This session cannot be opened', await errorText(infoRes));
  const info = (await infoRes.json()) as BrowserSessionInfo;
  const target = parseBrowserTarget(info.target);
  if (typeof target === 'string') return fail('Bad target', target);
  targetOrigin = browserTargetOrigin(target);
  $<HTMLSpanElement>('where').textContent = `${info.node} \u2192 ${info.target}`;
  document.title = `${info.target} via ${info.node} \u2014 rtcmesh`;
  if (target.scheme !== 'tcp' && !('serviceWorker' in navigator))
    return fail(
      'This browser cannot show the service here',
      'Service workers need a secure context: open the proxy origin over HTTPS (rtcmesh-signal --tls-cert), or on localhost.',
    );
  setStatus('connecting to the node\u2026');
  const probe = await connect(info);
  if (!probe) return;
  void watchPath(probe);
  if (target.scheme === 'tcp') return terminal();
  await navigator.serviceWorker.register('/__rtcmesh/sw.js', { scope: '/' });
  await navigator.serviceWorker.ready;
  navigator.serviceWorker.addEventListener('message', (ev: MessageEvent<FetchAsk>) => {
    const port = ev.ports[0];
    if (ev.data?.kind === 'fetch' && ev.data.sessionId === sessionId && port)
      void httpExchange(ev.data, port);
  });
  navigator.serviceWorker.startMessages();
  window.addEventListener('message', (ev: MessageEvent<WsAsk>) => {
    const port = ev.ports[0];
    if (ev.origin === location.origin && ev.data?.kind === 'ws-open' && port) void wsExchange(ev.data, port);
  });
  const frame = document.createElement('iframe');
  frame.id = 'frame';
  frame.title = info.target;
  frame.src = `/s/${sessionId}/${PAGE_PREFIX}${target.path.slice(1)}`;
  main.replaceChildren(frame);
}

/** The link: a probe channel (RTT), complete SDP both ways through `/s/<session>/link`. */
async function connect(info: BrowserSessionInfo): Promise<RTCDataChannel | undefined> {
  const conn = new RTCPeerConnection({ iceServers: info.iceServers });
  pc = conn;
  const probe = conn.createDataChannel(BROWSER_LINK_CHANNEL.label, {
    negotiated: true,
    id: BROWSER_LINK_CHANNEL.id,
    ordered: true,
  });
  await conn.setLocalDescription(await conn.createOffer());
  await gathered(conn, 3000);
  const res = await fetch(`/s/${sessionId}/link`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sdp: conn.localDescription?.sdp ?? '' }),
  });
  if (!res.ok) {
    const why = await errorText(res);
    fail(/policy/.test(why) ? 'Refused by the network policy' : 'The node did not take the session', why);
    conn.close();
    return undefined;
  }
  const answer = (await res.json()) as { sdp: string };
  await conn.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  const opened = await until(() => probe.readyState === 'open', Date.now() + 20_000, 'no link').then(
    () => true,
    () => false,
  );
  if (!opened) {
    fail('No path to the node', 'The WebRTC link did not come up (no direct path and no TURN relay worked).');
    conn.close();
    return undefined;
  }
  conn.addEventListener('connectionstatechange', () => {
    if (conn.connectionState === 'failed' || conn.connectionState === 'closed')
      setStatus(`link ${conn.connectionState}: reload to connect again`);
  });
  return probe;
}

/** The path (direct or relayed) and RTT in the bar, every 5 s. */
async function watchPath(probe: RTCDataChannel): Promise<void> {
  const sent = new Map<number, number>();
  let rtt = 0;
  let seq = 0;
  probe.onmessage = (m: MessageEvent) => {
    if (typeof m.data !== 'string') return;
    try {
      const msg = JSON.parse(m.data) as { t?: string; id?: number };
      const at = msg.t === 'pong' && typeof msg.id === 'number' ? sent.get(msg.id) : undefined;
      if (at !== undefined) rtt = performance.now() - at;
    } catch {
      // not a pong
    }
  };
  for (;;) {
    if (probe.readyState !== 'open') return;
    seq++;
    sent.set(seq, performance.now());
    if (sent.size > 16) sent.delete(seq - 16);
    probe.send(JSON.stringify({ t: 'ping', id: seq }));
    const path = pc ? (await selectedPair(pc)).path : 'unknown';
    bar.dataset.path = path;
    setStatus(
      `${path} \u00b7 RTT ${rtt ? rtt.toFixed(0) : '?'} ms \u00b7 ${totals.streams} streams \u00b7 ` +
        `\u2193 ${kib(totals.down)} \u2191 ${kib(totals.up)}`,
    );
    await new Promise((r) => setTimeout(r, rtt ? 5000 : 500));
  }
}

function kib(n: number): string {
  return n > 10 * 1024 * 1024 ? `${(n / 1048576).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`;
}

/** A stream channel with its open request sent. */
async function openStream(open: BrowserStreamOpen): Promise<RTCDataChannel> {
  if (!pc) throw new Error('no link');
  const ch = pc.createDataChannel(BROWSER_STREAM_LABEL, { ordered: true });
  ch.binaryType = 'arraybuffer';
  ch.bufferedAmountLowThreshold = 256 * 1024;
  totals.streams++;
  if (ch.readyState !== 'open')
    await new Promise<void>((resolve, reject) => {
      ch.onopen = () => resolve();
      ch.onclose = () => reject(new Error('the stream closed before it opened'));
    });
  ch.send(JSON.stringify(open));
  return ch;
}

/** Sends a body in chunks the agent takes, never more than 1 MiB queued. */
async function sendAll(ch: RTCDataChannel, data: ArrayBuffer): Promise<void> {
  const max = BROWSER_PROXY_LIMITS.maxChunkBytes;
  for (let off = 0; off < data.byteLength; off += max) {
    if (ch.bufferedAmount > 1024 * 1024)
      await new Promise<void>((r) => ch.addEventListener('bufferedamountlow', () => r(), { once: true }));
    if (ch.readyState !== 'open') return;
    ch.send(data.slice(off, off + max));
    totals.up += Math.min(max, data.byteLength - off);
  }
}

function reply(data: unknown): BrowserStreamReply | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    return JSON.parse(data) as BrowserStreamReply;
  } catch {
    return undefined;
  }
}

/** One request of the proxied page (from the service worker) over its own stream. */
async function httpExchange(ask: FetchAsk, port: MessagePort): Promise<void> {
  const post = (r: FetchReply, transfer: Transferable[] = []) => port.postMessage(r, transfer);
  let ch: RTCDataChannel;
  try {
    ch = await openStream({
      t: 'http',
      method: ask.method,
      path: ask.path,
      headers: ask.headers.slice(0, 100),
    });
  } catch (err) {
    post({ t: 'error', code: 'closed', message: `the link to the node is down: ${(err as Error).message}` });
    return;
  }
  let done = false;
  ch.onmessage = (ev: MessageEvent<string | ArrayBuffer>) => {
    if (typeof ev.data !== 'string') {
      totals.down += ev.data.byteLength;
      post({ t: 'chunk', data: ev.data }, [ev.data]);
      return;
    }
    const r = reply(ev.data);
    if (r?.t === 'response')
      post({
        t: 'head',
        status: r.status,
        statusText: r.statusText,
        headers: r.headers,
        origin: targetOrigin,
      });
    else if (r?.t === 'end' || r?.t === 'error') {
      done = true;
      post(r.t === 'end' ? { t: 'end' } : { t: 'error', code: r.code, message: r.message });
      ch.close();
    }
  };
  ch.onclose = () => {
    if (!done) post({ t: 'error', code: 'closed', message: 'the stream closed before the answer ended' });
    done = true;
  };
  if (ask.body && ask.body.byteLength > 0) await sendAll(ch, ask.body);
  if (ch.readyState === 'open') ch.send(JSON.stringify({ t: 'end' }));
}

/** A WebSocket of the proxied page (from the shim) over its own stream. */
async function wsExchange(ask: WsAsk, port: MessagePort): Promise<void> {
  const post = (m: WsMessage, transfer: Transferable[] = []) => port.postMessage(m, transfer);
  let ch: RTCDataChannel;
  try {
    ch = await openStream({ t: 'ws', path: ask.path, protocols: ask.protocols.slice(0, 16) });
  } catch {
    post({ t: 'error', message: 'the link to the node is down' });
    post({ t: 'close', code: 1006, reason: '' });
    return;
  }
  let open = false;
  ch.onmessage = (ev: MessageEvent<string | ArrayBuffer>) => {
    if (!open) {
      const r = reply(ev.data);
      if (r?.t === 'open') {
        open = true;
        post({ t: 'open', protocol: r.protocol ?? '' });
      } else {
        post({ t: 'error', message: r?.t === 'error' ? r.message : 'bad answer' });
        ch.close();
      }
      return;
    }
    if (typeof ev.data === 'string') {
      totals.down += ev.data.length;
      post({ t: 'text', data: ev.data });
    } else {
      totals.down += ev.data.byteLength;
      post({ t: 'binary', data: ev.data }, [ev.data]);
    }
  };
  ch.onclose = () => post({ t: 'close', code: open ? 1000 : 1006, reason: '' });
  port.onmessage = (ev: MessageEvent<WsMessage>) => {
    const m = ev.data;
    if (ch.readyState !== 'open') return;
    if (m.t === 'text') {
      totals.up += m.data.length;
      ch.send(m.data);
    } else if (m.t === 'binary') {
      totals.up += m.data.byteLength;
      ch.send(m.data);
    } else if (m.t === 'close') ch.close();
  };
}

/** tcp:// sessions: one connection, shown as a plain terminal (lines typed are sent with CRLF). */
async function terminal(): Promise<void> {
  const out = document.createElement('pre');
  out.id = 'term';
  out.setAttribute('aria-label', 'output');
  const form = document.createElement('form');
  form.id = 'line';
  const input = document.createElement('input');
  input.id = 'input';
  input.autocomplete = 'off';
  input.setAttribute('aria-label', 'input');
  form.append(input);
  main.replaceChildren(out, form);
  const decoder = new TextDecoder();
  const append = (text: string) => {
    out.textContent = `${out.textContent ?? ''}${text}`.slice(-200_000);
    out.scrollTop = out.scrollHeight;
  };
  let ch: RTCDataChannel;
  try {
    ch = await openStream({ t: 'tcp' });
  } catch (err) {
    return fail('The link to the node is down', (err as Error).message);
  }
  let open = false;
  ch.onmessage = (ev: MessageEvent<string | ArrayBuffer>) => {
    if (typeof ev.data !== 'string') {
      totals.down += ev.data.byteLength;
      append(decoder.decode(ev.data, { stream: true }));
      return;
    }
    const r = reply(ev.data);
    if (r?.t === 'open') {
      open = true;
      out.dataset.state = 'open';
      input.focus();
    } else if (r?.t === 'error') {
      if (!open)
        fail(r.code === 'policy' ? 'Refused by the network policy' : 'The node could not connect', r.message);
      else append(`\n[${r.message}]\n`);
    } else if (r?.t === 'end') append('\n[connection closed by the service]\n');
  };
  ch.onclose = () => {
    out.dataset.state = 'closed';
    input.disabled = true;
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    if (ch.readyState !== 'open') return;
    const bytes = new TextEncoder().encode(`${input.value}\r\n`);
    totals.up += bytes.byteLength;
    ch.send(bytes);
    append(`${input.value}\n`);
    input.value = '';
  });
}

start().catch((err: Error) => fail('Something went wrong', err.message));
