import type { FetchAsk, FetchReply } from './messages.js';

// The worker is one classic script (no imports at run time): these mirror messages.ts.
const SESSION_PATH = /^\/s\/(bs-[A-Za-z0-9_-]{8,60})\/(.*)$/;
const PAGE_PREFIX = 'p/';
const OWN_PATH = /^\/__rtcmesh\//;

/**
 * The proxy origin's service worker (issue 20). Every request of a proxied page (a document under
 * `/s/<session>/p/`, and whatever it loads from this origin, root-relative paths included) is
 * answered from the node: the worker hands it to the session's shell page, which holds the WebRTC
 * link (workers have no RTCPeerConnection), and streams the answer back as the Response. Redirects
 * to the target's own origin are rewritten to stay under the session's prefix; a compressed body is
 * inflated here (a constructed Response is not decoded by the browser); HTML pages get the WebSocket
 * shim. Requests of the shell itself, and of other origins, go to the network as usual.
 */

// Minimal service-worker typings (the console's tsconfig has the DOM lib, not WebWorker).
interface SwClient {
  id: string;
  url: string;
  postMessage(msg: unknown, transfer: Transferable[]): void;
}
interface SwFetchEvent extends Event {
  request: Request;
  clientId: string;
  resultingClientId: string;
  respondWith(r: Promise<Response> | Response): void;
}
interface SwScope {
  clients: {
    get(id: string): Promise<SwClient | undefined>;
    matchAll(o: { type: 'window'; includeUncontrolled: boolean }): Promise<SwClient[]>;
    claim(): Promise<void>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(
    type: 'install' | 'activate',
    l: (e: Event & { waitUntil(p: Promise<unknown>): void }) => void,
  ): void;
  addEventListener(type: 'fetch', l: (e: SwFetchEvent) => void): void;
  location: Location;
}
const sw = self as unknown as SwScope;

sw.addEventListener('install', (e) => e.waitUntil(sw.skipWaiting()));
sw.addEventListener('activate', (e) => e.waitUntil(sw.clients.claim()));

sw.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (url.origin !== sw.location.origin || OWN_PATH.test(url.pathname)) return;
  const m = SESSION_PATH.exec(url.pathname);
  if (m && !m[2]?.startsWith(PAGE_PREFIX)) return; // the shell, its info and its signaling
  e.respondWith(route(e, url, m));
});

async function route(e: SwFetchEvent, url: URL, m: RegExpExecArray | null): Promise<Response> {
  let sessionId: string | undefined;
  let path: string;
  if (m) {
    sessionId = m[1];
    path = `/${(m[2] ?? '').slice(PAGE_PREFIX.length)}${url.search}`;
  } else {
    path = `${url.pathname}${url.search}`;
    // A proxied page's own request: the client that asks says which session it belongs to.
    const client = e.clientId ? await sw.clients.get(e.clientId) : undefined;
    sessionId = client ? sessionOfPage(client.url) : undefined;
    if (!sessionId && e.request.mode === 'navigate') {
      // A link from a proxied page to a root-relative path: keep the new page under the prefix.
      const from = sessionOfPage(e.request.referrer);
      if (from) return Response.redirect(`/s/${from}/${PAGE_PREFIX}${path.slice(1)}`, 302);
    }
  }
  if (!sessionId) return fetch(e.request);
  const shell = await shellOf(sessionId);
  if (!shell)
    return errorPage(503, 'The session\u2019s tab is closed', 'Open the service again from the console.');
  const body =
    e.request.method === 'GET' || e.request.method === 'HEAD' ? null : await e.request.arrayBuffer();
  const headers: [string, string][] = [];
  e.request.headers.forEach((v, k) => {
    headers.push([k, v]);
  });
  const ask: FetchAsk = { kind: 'fetch', sessionId, method: e.request.method, path, headers, body };
  const channel = new MessageChannel();
  shell.postMessage(ask, body ? [channel.port2, body] : [channel.port2]);
  return answer(sessionId, channel.port1, e.request);
}

function sessionOfPage(href: string): string | undefined {
  if (!href) return undefined;
  try {
    const u = new URL(href);
    if (u.origin !== sw.location.origin) return undefined;
    const m = SESSION_PATH.exec(u.pathname);
    return m?.[2]?.startsWith(PAGE_PREFIX) ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

/** The session's shell page: `/s/<session>/` itself (the page whose frame shows the service). */
async function shellOf(sessionId: string): Promise<SwClient | undefined> {
  const all = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
  return all.find((c) => new URL(c.url).pathname === `/s/${sessionId}/`);
}

/** The reply messages as a Response: head first, then a streamed body. */
function answer(sessionId: string, port: MessagePort, request: Request): Promise<Response> {
  return new Promise((resolve) => {
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    let pending: FetchReply[] = [];
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        controller = c;
        for (const r of pending) feed(r);
        pending = [];
      },
      cancel() {
        port.close();
      },
    });
    let headed = false;
    const feed = (r: FetchReply): void => {
      if (!controller) {
        pending.push(r);
        return;
      }
      if (r.t === 'chunk') controller.enqueue(new Uint8Array(r.data));
      else if (r.t === 'end') {
        controller.close();
        port.close();
      } else if (r.t === 'error') {
        controller.error(new Error(r.message));
        port.close();
      }
    };
    port.onmessage = (ev: MessageEvent<FetchReply>) => {
      const r = ev.data;
      if (!headed) {
        headed = true;
        if (r.t === 'error') {
          port.close();
          resolve(errorPage(r.code === 'policy' ? 403 : 502, refusalTitle(r.code), r.message));
          return;
        }
        if (r.t !== 'head') return;
        resolve(response(sessionId, r, body, request));
        return;
      }
      feed(r);
    };
  });
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);
/** Headers of the service that would break the frame, the worker or this origin for other sessions. */
const DROP = new Set([
  'x-frame-options',
  'clear-site-data',
  'service-worker-allowed',
  'strict-transport-security',
  'content-length',
  'content-encoding',
  'set-cookie',
]);

function response(
  sessionId: string,
  head: Extract<FetchReply, { t: 'head' }>,
  body: ReadableStream<Uint8Array>,
  request: Request,
): Response {
  const headers = new Headers();
  let encoding = '';
  let location = '';
  let type = '';
  for (const [k, v] of head.headers) {
    const name = k.toLowerCase();
    if (name === 'content-encoding') encoding = v.trim().toLowerCase();
    if (name === 'location') location = v;
    if (name === 'content-type') type = v.toLowerCase();
    if (DROP.has(name) || name === 'location') continue;
    // The service cannot keep the frame out (frame-ancestors): it is shown on purpose, by its admin.
    if (name === 'content-security-policy') {
      const kept = v
        .split(';')
        .filter((d) => !/^\s*frame-ancestors\b/i.test(d))
        .join(';');
      if (kept.trim()) headers.append(k, kept);
      continue;
    }
    try {
      headers.append(k, v);
    } catch {
      // a header the Fetch API does not allow on a constructed Response: dropped
    }
  }
  if (location) headers.set('location', rewriteLocation(sessionId, head.origin, location));
  const status = head.status;
  if (NULL_BODY.has(status) || request.method === 'HEAD') {
    void body.cancel().catch(() => undefined);
    return new Response(null, {
      status: status === 101 ? 502 : status,
      statusText: head.statusText,
      headers,
    });
  }
  let stream: ReadableStream<Uint8Array> = body;
  if (encoding === 'gzip' || encoding === 'deflate' || encoding === 'x-gzip')
    stream = stream.pipeThrough(
      new DecompressionStream(encoding === 'deflate' ? 'deflate' : 'gzip') as unknown as ReadableWritablePair<
        Uint8Array,
        Uint8Array
      >,
    );
  if (type.startsWith('text/html')) stream = stream.pipeThrough(injectShim());
  return new Response(stream, { status, statusText: head.statusText, headers });
}

/**
 * A Location on the target's origin, or root-relative, stays under the session's prefix; a relative
 * one already resolves under it; one to another origin is left as it is (the browser goes there).
 */
function rewriteLocation(sessionId: string, target: string, location: string): string {
  const prefix = `/s/${sessionId}/${PAGE_PREFIX}`;
  if (location.startsWith('/') && !location.startsWith('//')) return `${prefix}${location.slice(1)}`;
  if (!/^[a-z][a-z0-9+.-]*:|^\/\//i.test(location)) return location;
  let u: URL;
  try {
    u = new URL(location, `${target}/`);
  } catch {
    return location;
  }
  if (u.origin !== target) return location;
  return `${prefix}${u.pathname.slice(1)}${u.search}${u.hash}`;
}

/** Puts the WebSocket shim first in <head> (before the page's own scripts can open a WebSocket). */
function injectShim(): TransformStream<Uint8Array, Uint8Array> {
  const tag = new TextEncoder().encode('<script src="/__rtcmesh/ws-shim.js"></script>');
  let done = false;
  let held = new Uint8Array(0);
  const emit = (c: TransformStreamDefaultController<Uint8Array>, buf: Uint8Array, at: number) => {
    c.enqueue(buf.subarray(0, at));
    c.enqueue(tag);
    c.enqueue(buf.subarray(at));
    done = true;
  };
  return new TransformStream({
    transform(chunk, c) {
      if (done) return c.enqueue(chunk);
      const buf = new Uint8Array(held.length + chunk.length);
      buf.set(held);
      buf.set(chunk, held.length);
      const text = new TextDecoder('latin1').decode(buf);
      const head = /<head\b[^>]*>/i.exec(text);
      if (head) return emit(c, buf, head.index + head[0].length);
      if (buf.length > 4096) {
        // No <head> early on: after the doctype, so the page keeps its standards mode.
        const doctype = /<!doctype[^>]*>/i.exec(text);
        return emit(c, buf, doctype ? doctype.index + doctype[0].length : 0);
      }
      held = buf;
    },
    flush(c) {
      if (done) return;
      const text = new TextDecoder('latin1').decode(held);
      const doctype = /<!doctype[^>]*>/i.exec(text);
      emit(c, held, doctype ? doctype.index + doctype[0].length : 0);
    },
  });
}

function refusalTitle(code: string): string {
  if (code === 'policy') return 'Refused by the network policy';
  if (code === 'tls') return 'The service\u2019s certificate is not trusted';
  if (code === 'timeout') return 'The service did not answer in time';
  if (code === 'limit') return 'A limit of the session was reached';
  return 'The node could not reach the service';
}

function errorPage(status: number, title: string, detail: string): Response {
  const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
  const html = `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title>
<body style="font-family:system-ui,sans-serif;max-width:44em;margin:3em auto;line-height:1.5">
<h1 id="rtcmesh-error">${esc(title)}</h1><p>${esc(detail)}</p>
<p style="color:#666">rtcmesh browser proxy</p></body>`;
  return new Response(html, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  });
}
