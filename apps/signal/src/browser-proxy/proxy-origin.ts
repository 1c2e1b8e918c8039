import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import {
  BrowserLinkRequestSchema,
  type BrowserLinkResponse,
  ErrorCode,
  type IceServer,
} from '@rtcmesh/protocol';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import { errorBody, handleError, readBody } from '../api/errors.js';
import type { BrowserLinkRelay } from '../browser-peer/relay.js';
import { CONTENT_TYPES, safeFile } from '../console/static.js';
import type { BrowserSessions } from './sessions.js';

export interface ProxyOriginOptions {
  sessions: BrowserSessions;
  relay: BrowserLinkRelay;
  /** The built console: proxy.html, sw.js, ws-shim.js and assets/. */
  consoleDir: string;
  /** STUN/TURN for a tab (TURN credentials minted per session, as for a node). */
  iceServers: (who: string) => IceServer[];
  log: Logger;
}

/** The shell page: its own scripts, its signaling, and frames of this origin (the proxied service). */
const SHELL_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

const NOT_HERE = `<!doctype html><meta charset="utf-8"><title>rtcmesh browser proxy</title>
<body style="font-family:system-ui,sans-serif;max-width:40em;margin:3em auto;line-height:1.5">
<h1>Nothing here</h1><p>This is the browser proxy origin of an rtcmesh server: it shows a node's web
service in a tab opened from the console ("Open in browser"). Open the service again from there.</p></body>`;

/**
 * The proxy origin (issue 20): a listener of its own, so the services it shows run on an origin that
 * is not the console's. A proxied page can then neither read the console's storage nor call its API
 * (no CORS grant, the CSRF header cannot be sent cross-origin; the session cookie is HttpOnly). It
 * serves only the shell page of a session, its signaling (`/s/<session>/link`), the service worker
 * and the shell's assets; what the proxied service asks for never reaches it: the service worker
 * answers those requests from the node, over WebRTC.
 */
export function proxyOriginApp(opts: ProxyOriginOptions): Hono {
  const app = new Hono();
  app.onError(handleError);
  const file = (c: Context, name: string, extra: Record<string, string> = {}): Response => {
    const path = safeFile(opts.consoleDir, name);
    if (!path) return c.html(NOT_HERE, 404);
    const type = CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
    const body = c.req.method === 'HEAD' ? null : readFileSync(path);
    return new Response(body, { headers: { 'content-type': type, ...SHELL_HEADERS, ...extra } });
  };
  app.get('/s/:id/', (c) => {
    opts.sessions.require(c.req.param('id'));
    return file(c, '/proxy.html');
  });
  app.get('/s/:id', (c) => c.redirect(`/s/${encodeURIComponent(c.req.param('id'))}/`, 302));
  app.get('/s/:id/info', (c) => {
    const rec = opts.sessions.require(c.req.param('id'));
    // The TURN user name is seen on the wire: a short tag of the session, never the session id itself.
    return c.json(opts.sessions.info(rec, opts.iceServers(`browser-${rec.sessionId.slice(3, 11)}`)));
  });
  app.post(
    '/s/:id/link',
    bodyLimit({
      maxSize: 64 * 1024,
      onError: (c) => c.json(errorBody(ErrorCode.TooLarge, 'offer larger than 64 KiB'), 413),
    }),
    async (c) => {
      const rec = opts.sessions.require(c.req.param('id'));
      const { sdp } = await readBody(c, BrowserLinkRequestSchema);
      const res: BrowserLinkResponse = await opts.relay.open(rec.nodeId, sdp, {
        sessionId: rec.sessionId,
        principal: rec.principal,
        target: rec.target,
      });
      opts.log.info(
        { node: rec.nodeId, session: rec.sessionId, linkId: res.linkId },
        'browser proxy link answered',
      );
      return c.json(res);
    },
  );
  // The worker controls the whole origin: a proxied page's root-relative URLs (/static/app.js) are its too.
  app.get('/__rtcmesh/sw.js', (c) =>
    file(c, '/sw.js', { 'service-worker-allowed': '/', 'cache-control': 'no-cache' }),
  );
  app.get('/__rtcmesh/ws-shim.js', (c) => file(c, '/ws-shim.js', { 'cache-control': 'no-cache' }));
  app.get('/assets/*', (c) =>
    file(c, c.req.path, { 'cache-control': 'public, max-age=31536000, immutable' }),
  );
  app.all('*', (c) => c.html(NOT_HERE, 404));
  return app;
}

/** The page a tab opens for a session, on the proxy origin. */
export function sessionUrl(proxyBase: string, sessionId: string): string {
  return `${proxyBase.replace(/\/+$/, '')}/s/${sessionId}/`;
}
