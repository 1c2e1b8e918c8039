import type { HttpBindings } from '@hono/node-server';
import { ErrorCode, PROTOCOL_VERSION, SUPPORTED_VERSIONS } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { BrowserLinkRelay } from '../browser-peer/relay.js';
import { type AdminVia, adminAuth } from '../console/admin-auth.js';
import { ConsoleSessions } from '../console/sessions.js';
import { consoleStatic } from '../console/static.js';
import type { Mesh } from '../mesh/mesh.js';
import { browserLinkApi } from './browser-link.js';
import { errorBody, handleError } from './errors.js';
import { eventsApi, type StreamRegistry } from './events.js';
import { joinApi } from './join.js';
import { keysApi } from './keys.js';
import { networksApi } from './networks.js';
import { nodesApi } from './nodes.js';
import { sessionApi } from './session.js';
import { telemetryApi } from './telemetry.js';

export type AppOptions = {
  /** Requests on this listener are trusted without a token (the 0600 unix socket in the data dir). */
  trusted: boolean;
  version: string;
  /** URL agents should use (reverse proxy); reported by /api/v1/info. */
  publicUrl?: string;
  streams: StreamRegistry;
  /** Console sign-in sessions (cookie); without it only the Bearer token is accepted. */
  sessions?: ConsoleSessions;
  /** Relay for the console's "test from this browser"; without it the route is absent. */
  browserLinks?: BrowserLinkRelay;
  /** Built console to serve at `/` (apps/console/dist); null = no console on this listener. */
  consoleDir?: string | null;
  /** Mark the session cookie Secure (the server is behind HTTPS). */
  secureCookie?: boolean;
};

export function createApp(mesh: Mesh, opts: AppOptions): Hono<{ Bindings: HttpBindings }> {
  const app = new Hono<{ Bindings: HttpBindings }>();
  app.onError(handleError);
  app.notFound((c) => c.json(errorBody(ErrorCode.NotFound, 'no such route'), 404));
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: 64 * 1024,
      onError: (c) => c.json(errorBody(ErrorCode.TooLarge, 'body larger than 64 KiB'), 413),
    }),
  );

  app.get('/healthz', (c) => c.json({ ok: true, sessions: mesh.deps.hub.size }));
  app.get('/metrics', async (c) => {
    const reg = mesh.deps.metrics.registry;
    return c.body(await reg.metrics(), 200, { 'content-type': reg.contentType });
  });
  app.get('/api/v1/info', (c) =>
    c.json({
      server: 'rtcmesh-signal',
      version: opts.version,
      protocol: PROTOCOL_VERSION,
      protocols: SUPPORTED_VERSIONS,
      publicUrl: opts.publicUrl ?? null,
    }),
  );
  app.route('/api/v1/join', joinApi(mesh));

  const sessions = opts.sessions ?? new ConsoleSessions();
  app.route('/api/v1/session', sessionApi(mesh, sessions, { secureCookie: opts.secureCookie ?? false }));

  const admin = new Hono<{ Bindings: HttpBindings; Variables: { adminVia: AdminVia } }>();
  admin.use('*', adminAuth(mesh, sessions, opts.trusted));
  admin.route('/networks', networksApi(mesh));
  admin.route('/keys', keysApi(mesh));
  admin.route('/nodes', nodesApi(mesh));
  admin.route('/telemetry', telemetryApi(mesh));
  admin.route('/events', eventsApi(mesh, opts.streams));
  if (opts.browserLinks) admin.route('/nodes/:id/browser-link', browserLinkApi(mesh, opts.browserLinks));
  app.route('/api/v1', admin);
  if (opts.consoleDir) app.use('*', consoleStatic(opts.consoleDir));
  return app;
}
