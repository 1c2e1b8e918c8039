import { chmodSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { pino } from 'pino';
import { adminSocketPath, clearStaleSocket } from './admin-socket.js';
import { createApp } from './api/app.js';
import type { StreamRegistry } from './api/events.js';
import { ensureAdminToken } from './auth/admin-token.js';
import { BrowserLinkRelay } from './browser-peer/relay.js';
import { ConsoleSessions } from './console/sessions.js';
import { DEFAULT_CONSOLE_DIR } from './console/static.js';
import { Feed } from './feed/feed.js';
import { Mesh } from './mesh/mesh.js';
import { Metrics } from './metrics/metrics.js';
import { DEFAULTS, type SignalServerOptions } from './options.js';
import { Store } from './store/index.js';
import { LatestTelemetry } from './telemetry/latest.js';
import { SERVER_VERSION } from './version.js';
import { Hub } from './ws/hub.js';
import { attachWebSocketServer } from './ws/server.js';

export type SignalServer = {
  /** http://host:port of the bound listener. */
  url: string;
  /** ws://host:port/ws */
  wsUrl: string;
  port: number;
  /** The admin token when it was created by this start (first start), else null. */
  adminToken: string | null;
  /** Path of the admin unix socket, or null. */
  adminSocket: string | null;
  mesh: Mesh;
  /** Tells every session `bye` (server-shutdown), closes listeners and the database. Idempotent. */
  close(): Promise<void>;
};

function listen(server: Server, where: { port: number; host: string } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if ('path' in where) server.listen(where.path, done);
    else server.listen(where.port, where.host, done);
  });
}

export async function startSignalServer(options: SignalServerOptions): Promise<SignalServer> {
  const log = options.logger ?? pino({ level: options.logLevel ?? 'info' });
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const socketPath = options.adminSocket === false ? null : adminSocketPath(options.dataDir);
  if (socketPath) await clearStaleSocket(socketPath);

  const store = Store.open(options.dataDir);
  const adminToken = ensureAdminToken(store, options.dataDir, options.adminToken);
  const metrics = new Metrics(options.defaultMetrics ?? true);
  const hub = new Hub();
  const browserLinks = new BrowserLinkRelay(hub);
  const mesh = new Mesh({
    store,
    hub,
    feed: new Feed(),
    telemetry: new LatestTelemetry(),
    metrics,
    log,
    browserLinks,
    ice: {
      stun: options.stun ?? [],
      turn: options.turn ?? [],
      turnSecret: options.turnSecret,
      turnTtlSeconds: options.turnTtlSeconds ?? DEFAULTS.turnTtlSeconds,
    },
  });
  if ((options.turn?.length ?? 0) > 0 && !options.turnSecret)
    log.warn('--turn given without --turn-secret: TURN servers are not announced');

  const streams: StreamRegistry = new Set();
  const http = createServer(
    getRequestListener(
      createApp(mesh, {
        trusted: false,
        version: SERVER_VERSION,
        publicUrl: options.publicUrl,
        streams,
        sessions: new ConsoleSessions({
          persist: {
            load: () => store.meta.get('console_sessions'),
            save: (v) => store.meta.set('console_sessions', v),
          },
        }),
        browserLinks,
        consoleDir:
          options.consoleDir === undefined
            ? (process.env.RTCMESH_CONSOLE_DIR ?? DEFAULT_CONSOLE_DIR)
            : options.consoleDir,
        secureCookie: options.publicUrl?.startsWith('https:') ?? false,
      }).fetch,
    ),
  );
  const ws = attachWebSocketServer(
    http,
    mesh,
    {
      path: '/ws',
      heartbeatMs: options.heartbeatMs ?? DEFAULTS.heartbeatMs,
      authTimeoutMs: options.authTimeoutMs ?? DEFAULTS.authTimeoutMs,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULTS.maxMessageBytes,
      ratePerSecond: options.rateLimitPerSecond ?? DEFAULTS.rateLimitPerSecond,
      burst: options.rateLimitBurst ?? DEFAULTS.rateLimitBurst,
      maxBufferedBytes: options.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes,
    },
    log,
  );
  const servers: Server[] = [http];
  try {
    await listen(http, { port: options.port ?? DEFAULTS.port, host: options.host ?? DEFAULTS.host });
    if (socketPath) {
      const local = createServer(
        getRequestListener(createApp(mesh, { trusted: true, version: SERVER_VERSION, streams }).fetch),
      );
      servers.push(local);
      await listen(local, { path: socketPath });
      chmodSync(socketPath, 0o600);
    }
  } catch (err) {
    ws.close();
    for (const s of servers) s.close();
    store.close();
    throw err;
  }

  const addr = http.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  let closing: Promise<void> | undefined;

  const close = (): Promise<void> => {
    closing ??= (async () => {
      for (const s of hub.all())
        s.end(1001, { type: 'bye', reason: 'server-shutdown', message: 'server is shutting down' });
      for (const stop of streams) stop();
      browserLinks.close();
      // Give the close frames a moment to leave, then cut whatever is left.
      await new Promise((r) => setTimeout(r, 100));
      mesh.stop();
      ws.close();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
      store.close();
      log.info('server stopped');
    })();
    return closing;
  };

  log.info(
    {
      url,
      wsUrl: `${url.replace('http', 'ws')}/ws`,
      port: addr.port,
      adminSocket: socketPath,
      version: SERVER_VERSION,
    },
    'listening',
  );
  return {
    url,
    wsUrl: `${url.replace('http', 'ws')}/ws`,
    port: addr.port,
    adminToken,
    adminSocket: socketPath,
    mesh,
    close,
  };
}
