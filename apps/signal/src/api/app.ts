import type { HttpBindings } from '@hono/node-server';
import { CSRF_HEADER, ErrorCode, PROTOCOL_VERSION, SUPPORTED_VERSIONS } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { auditMiddleware } from '../audit/audit-middleware.js';
import type { BrowserLinkRelay } from '../browser-peer/relay.js';
import { browserSessionApi, type SessionApiOptions } from '../browser-proxy/session-api.js';
import { type AdminEnv, adminAuth } from '../console/admin-auth.js';
import { ConsoleSessions } from '../console/sessions.js';
import { consoleStatic } from '../console/static.js';
import type { ControlPlaneContext } from '../control-plane/context.js';
import type { ControlPlane, ControlPlaneDeps } from '../control-plane/control-plane.js';
import { ClientAddressResolver } from '../net/client-address.js';
import { adminApi } from './admin.js';
import { auditApi } from './audit.js';
import { browserLinkApi } from './browser-link.js';
import { clusterApi } from './cluster.js';
import { errorBody, handleError } from './errors.js';
import { eventsApi, type StreamRegistry } from './events.js';
import { type JoinLimits, joinApi } from './join.js';
import { keysApi } from './keys.js';
import { networksApi } from './networks.js';
import { nodesApi } from './nodes.js';
import { policyApi, tagsApi } from './policy.js';
import { routesApi } from './routes.js';
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
  /** "Open in browser" (issue 20): proxy sessions and where their origin is; without it the route is absent. */
  browserSessions?: Omit<SessionApiOptions, 'log'>;
  /** Built console to serve at `/` (apps/console/dist); null = no console on this listener. */
  consoleDir?: string | null;
  /** Mark the session cookie Secure (the server is behind HTTPS). */
  secureCookie?: boolean;
  /** Data directory: enables POST /api/v1/admin/rotate-token (writes the new admin-token file there). */
  dataDir?: string;
  /** Who a request comes from (`--trust-proxy`); default: the TCP peer. */
  addresses?: ClientAddressResolver;
  /** Origins granted CORS on /api/*; default none (no CORS headers). */
  corsOrigins?: readonly string[];
  /** Largest REST body in bytes (default 64 KiB). */
  maxBodyBytes?: number;
  /** Join attempts per address and per key (default 10/min, burst 20). */
  joinLimits?: JoinLimits;
};

/**
 * The HTTP API on one listener. `deps` are the server's parts (the same ones ControlPlane was built with):
 * each route gets the few it uses, named in its signature.
 */
export function createApp(
  controlPlane: ControlPlane,
  deps: ControlPlaneDeps,
  opts: AppOptions,
): Hono<{ Bindings: HttpBindings }> {
  const app = new Hono<{ Bindings: HttpBindings }>();
  const ctx: ControlPlaneContext = {
    controlPlane: controlPlane,
    store: deps.store,
    log: deps.log,
    cluster: deps.cluster,
    protectedAddresses: deps.protectedAddresses ?? [],
  };
  app.onError(handleError);
  app.notFound((c) => c.json(errorBody(ErrorCode.NotFound, 'no such route'), 404));
  const addresses = opts.addresses ?? new ClientAddressResolver();
  const maxBody = opts.maxBodyBytes ?? 64 * 1024;
  // Once the server is reached over HTTPS, browsers that saw it never fall back to plain HTTP (where a
  // network attacker could take the console). The console's own CSP and framing rules: console/static.ts.
  if (opts.secureCookie) {
    app.use('*', async (c, next) => {
      await next();
      c.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    });
  }
  // CORS is closed unless origins are configured: without these headers a browser on another origin
  // cannot read any answer, and cannot send the CSRF header or a Bearer token at all (no preflight grant).
  if (opts.corsOrigins && opts.corsOrigins.length > 0) {
    const allowed = new Set(opts.corsOrigins);
    app.use(
      '/api/*',
      cors({
        origin: (origin) => (allowed.has(origin) ? origin : null),
        allowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
        allowHeaders: ['authorization', 'content-type', CSRF_HEADER],
        maxAge: 600,
      }),
    );
  }
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: maxBody,
      onError: (c) => {
        deps.metrics.limited.inc({ limit: 'rest-body-size' });
        deps.metrics.rejected.inc({ reason: ErrorCode.TooLarge });
        return c.json(errorBody(ErrorCode.TooLarge, `body larger than ${maxBody} bytes`), 413);
      },
    }),
  );

  app.get('/healthz', (c) =>
    c.json({ ok: true, sessions: deps.hub.size, instance: deps.cluster.instanceId }),
  );
  app.get('/metrics', async (c) => {
    const reg = deps.metrics.registry;
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
  app.route(
    '/api/v1/join',
    joinApi(controlPlane, deps.metrics, addresses, opts.joinLimits ?? { perMinute: 10, burst: 20 }),
  );

  const sessions = opts.sessions ?? new ConsoleSessions();
  app.route(
    '/api/v1/session',
    sessionApi(deps, sessions, { secureCookie: opts.secureCookie ?? false, addresses }),
  );

  const admin = new Hono<AdminEnv>();
  admin.use('*', adminAuth(deps, sessions, opts.trusted));
  admin.use('*', auditMiddleware(deps, addresses));
  admin.route('/networks/:id/policy', policyApi(ctx));
  admin.route('/networks/:id/routes', routesApi(ctx));
  admin.route('/networks', networksApi(controlPlane));
  admin.route('/keys', keysApi(controlPlane));
  admin.route('/nodes/:id/tags', tagsApi(ctx));
  admin.route('/nodes', nodesApi(controlPlane, ctx));
  admin.route('/telemetry', telemetryApi(controlPlane, deps.telemetry));
  admin.route('/events', eventsApi(deps, opts.streams));
  admin.route('/audit', auditApi(deps.store));
  admin.route('/cluster', clusterApi(deps));
  if (opts.dataDir) admin.route('/admin', adminApi(deps, sessions, opts.dataDir));
  if (opts.browserLinks)
    admin.route('/nodes/:id/browser-link', browserLinkApi(controlPlane, deps.log, opts.browserLinks));
  if (opts.browserSessions)
    admin.route(
      '/nodes/:id/browser-sessions',
      browserSessionApi(controlPlane, { ...opts.browserSessions, log: deps.log }),
    );
  app.route('/api/v1', admin);
  if (opts.consoleDir) app.use('*', consoleStatic(opts.consoleDir));
  return app;
}
