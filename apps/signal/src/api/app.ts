import type { HttpBindings } from '@hono/node-server';
import { ErrorCode, PROTOCOL_VERSION, SUPPORTED_VERSIONS } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { checkAdminToken } from '../auth/admin-token.js';
import type { Mesh } from '../mesh/mesh.js';
import { errorBody, handleError } from './errors.js';
import { eventsApi, type StreamRegistry } from './events.js';
import { joinApi } from './join.js';
import { keysApi } from './keys.js';
import { networksApi } from './networks.js';
import { nodesApi } from './nodes.js';
import { telemetryApi } from './telemetry.js';

export type AppOptions = {
  /** Requests on this listener are trusted without a token (the 0600 unix socket in the data dir). */
  trusted: boolean;
  version: string;
  /** URL agents should use (reverse proxy); reported by /api/v1/info. */
  publicUrl?: string;
  streams: StreamRegistry;
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

  const admin = new Hono<{ Bindings: HttpBindings }>();
  admin.use('*', async (c, next) => {
    if (opts.trusted) return next();
    const header = c.req.header('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!token || !checkAdminToken(mesh.deps.store, token)) {
      mesh.deps.metrics.rejected.inc({ reason: ErrorCode.Unauthorized });
      return c.json(
        errorBody(ErrorCode.Unauthorized, 'admin token required (Authorization: Bearer <token>)'),
        401,
      );
    }
    return next();
  });
  admin.route('/networks', networksApi(mesh));
  admin.route('/keys', keysApi(mesh));
  admin.route('/nodes', nodesApi(mesh));
  admin.route('/telemetry', telemetryApi(mesh));
  admin.route('/events', eventsApi(mesh, opts.streams));
  app.route('/api/v1', admin);
  return app;
}
