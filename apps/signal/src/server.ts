import { chmodSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { CloseCode } from '@rtcmesh/protocol';
import { type Logger, pino } from 'pino';
import { adminSocketPath, clearStaleSocket } from './admin-socket.js';
import { createApp } from './api/app.js';
import type { StreamRegistry } from './api/events.js';
import { ensureAdminToken } from './auth/admin-token.js';
import { BrowserLinkRelay } from './browser-peer/relay.js';
import { proxyOriginApp } from './browser-proxy/proxy-origin.js';
import { BrowserSessions } from './browser-proxy/sessions.js';
import { Cluster } from './cluster/cluster.js';
import { openBus } from './cluster/open-bus.js';
import { type MetaPersist, metaPersist } from './console/persist.js';
import { ConsoleSessions } from './console/sessions.js';
import { DEFAULT_CONSOLE_DIR } from './console/static.js';
import { ControlPlane, type ControlPlaneDeps } from './control-plane/control-plane.js';
import { Feed } from './feed/feed.js';
import { Metrics } from './metrics/metrics.js';
import { ClientAddressResolver } from './net/client-address.js';
import { protectedServerAddresses } from './net/own-addresses.js';
import { DEFAULTS, type SignalServerOptions } from './options.js';
import { looseModes } from './store/file-modes.js';
import { Store } from './store/index.js';
import { LatestTelemetry } from './telemetry/latest.js';
import { loadTlsFiles } from './tls/tls-files.js';
import { SERVER_VERSION } from './version.js';
import { ConnectionLimits } from './ws/connection-limits.js';
import { Hub } from './ws/hub.js';
import { attachWebSocketServer } from './ws/server.js';

export type SignalServer = {
  /** http(s)://host:port of the bound listener. */
  url: string;
  /** ws(s)://host:port/ws */
  wsUrl: string;
  /** True when serving HTTPS + WSS (`tls` option). */
  tls: boolean;
  port: number;
  /** The proxy origin's bound port ("Open in browser"), or null when it is off. */
  browserProxyPort: number | null;
  /** The admin token when it was created by this start (first start), else null. */
  adminToken: string | null;
  /** Path of the admin unix socket, or null. */
  adminSocket: string | null;
  controlPlane: ControlPlane;
  /** The parts the server is built from (the composition root's; tests look inside). */
  parts: ControlPlaneDeps;
  /** This instance's id on the bus and its view of the other instances. */
  cluster: Cluster;
  /**
   * Re-reads the TLS certificate and key files (after a renewal; the CLI calls it on SIGHUP). New
   * connections use them; open ones keep theirs. Throws (and keeps the old pair) when the new files do
   * not load or do not match. No-op without TLS.
   */
  reloadTls(): void;
  /** Tells every session `bye` (reconnect-elsewhere), leaves the bus, closes listeners and the database. Idempotent. */
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

  // Bad TLS files or --trust-proxy entries are startup errors, before anything is opened.
  const tlsFiles = options.tls ? loadTlsFiles(options.tls.certFile, options.tls.keyFile) : null;
  const addresses = new ClientAddressResolver(options.trustProxy ?? []);
  const store = await Store.connect({
    dataDir: options.dataDir,
    ...(options.database === undefined ? {} : { database: options.database }),
    ...(options.postgres === undefined ? {} : { postgres: options.postgres }),
  });
  let adminToken: string | null;
  let consolePersist: MetaPersist;
  try {
    adminToken = await ensureAdminToken(store, options.dataDir, options.adminToken);
    consolePersist = await metaPersist(store, 'console_sessions', log);
  } catch (err) {
    await store.close();
    throw err;
  }
  const loose = looseModes(options.dataDir);
  if (loose.length > 0)
    log.warn(
      { paths: loose },
      'files under --data are open to group or others (chmod -R go-rwx the directory)',
    );
  const metrics = new Metrics(options.defaultMetrics ?? true);
  const hub = new Hub();
  const feed = new Feed();
  const telemetry = new LatestTelemetry();
  const cluster = new Cluster({ bus: openBus(options, log), hub, feed, telemetry, metrics, log });
  try {
    await cluster.start();
  } catch (err) {
    await cluster.stop().catch(() => undefined);
    await store.close();
    throw new Error(`cannot reach the message bus: ${(err as Error).message}`);
  }
  const browserLinks = new BrowserLinkRelay(hub, { cluster });
  const parts: ControlPlaneDeps = {
    store,
    hub,
    cluster,
    feed,
    telemetry,
    metrics,
    log,
    browserLinks,
    protectedAddresses: protectedServerAddresses(options),
    ice: {
      stun: options.stun ?? [],
      turn: options.turn ?? [],
      turnSecret: options.turnSecret,
      turnTtlSeconds: options.turnTtlSeconds ?? DEFAULTS.turnTtlSeconds,
    },
  };
  const controlPlane = new ControlPlane(parts);
  // After a bus outage the cluster reads in sessions held elsewhere: their peers here must hear of them.
  cluster.peerJoinedRaw = (nodeId) => controlPlane.peerJoinedRaw(nodeId);
  if ((options.turn?.length ?? 0) > 0 && !options.turnSecret)
    log.warn('--turn given without --turn-secret: TURN servers are not announced');

  const streams: StreamRegistry = new Set();
  // One set of console sessions for both listeners: a token rotation over the admin socket must sign
  // out the browsers of the public listener.
  const sessions = new ConsoleSessions({
    persist: consolePersist,
    onChange: (e) => cluster.publishConsoleSession(e),
  });
  cluster.onConsoleSession = (e) => sessions.apply(e);
  const joinLimits = {
    perMinute: options.joinRatePerMinute ?? DEFAULTS.joinRatePerMinute,
    burst: options.joinBurst ?? DEFAULTS.joinBurst,
  };
  const consoleDir =
    options.consoleDir === undefined
      ? (process.env.RTCMESH_CONSOLE_DIR ?? DEFAULT_CONSOLE_DIR)
      : options.consoleDir;
  // The proxy origin: its own listener (bound below, after the main one), sessions minted by the console.
  const browserSessions = options.browserProxy ? new BrowserSessions() : undefined;
  let proxyPort = options.browserProxy?.port ?? 0;
  const proxyServer =
    options.browserProxy && browserSessions
      ? (() => {
          const l = getRequestListener(
            proxyOriginApp({
              sessions: browserSessions,
              relay: browserLinks,
              consoleDir: consoleDir ?? DEFAULT_CONSOLE_DIR,
              iceServers: (who) => controlPlane.iceServersFor(who).iceServers,
              log,
            }).fetch,
          );
          return tlsFiles
            ? createHttpsServer({ cert: tlsFiles.cert, key: tlsFiles.key }, l)
            : createServer(l);
        })()
      : undefined;
  const listener = getRequestListener(
    createApp(controlPlane, parts, {
      trusted: false,
      version: SERVER_VERSION,
      publicUrl: options.publicUrl,
      streams,
      sessions,
      browserLinks,
      consoleDir,
      ...(browserSessions && options.browserProxy
        ? {
            browserSessions: {
              sessions: browserSessions,
              port: () => proxyPort,
              ...(options.browserProxy.publicUrl ? { publicUrl: options.browserProxy.publicUrl } : {}),
            },
          }
        : {}),
      secureCookie: tlsFiles !== null || (options.publicUrl?.startsWith('https:') ?? false),
      dataDir: options.dataDir,
      addresses,
      corsOrigins: options.corsOrigins ?? [],
      maxBodyBytes: options.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
      joinLimits,
    }).fetch,
  );
  const http: Server | HttpsServer = tlsFiles
    ? createHttpsServer({ cert: tlsFiles.cert, key: tlsFiles.key }, listener)
    : createServer(listener);
  const connectionLimits = new ConnectionLimits(
    {
      maxSessionsPerIp: options.maxSessionsPerIp ?? DEFAULTS.maxSessionsPerIp,
      maxConnections: options.maxConnections ?? DEFAULTS.maxConnections,
      maxHandshakesPerIp: options.maxHandshakesPerIp ?? DEFAULTS.maxHandshakesPerIp,
    },
    addresses,
    metrics,
    limitWarner(log, addresses),
  );
  const ws = attachWebSocketServer(
    http,
    controlPlane,
    parts,
    {
      path: '/ws',
      heartbeatMs: options.heartbeatMs ?? DEFAULTS.heartbeatMs,
      authTimeoutMs: options.authTimeoutMs ?? DEFAULTS.authTimeoutMs,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULTS.maxMessageBytes,
      ratePerSecond: options.rateLimitPerSecond ?? DEFAULTS.rateLimitPerSecond,
      burst: options.rateLimitBurst ?? DEFAULTS.rateLimitBurst,
      maxBufferedBytes: options.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes,
      connectionLimits,
    },
    log,
  );
  const servers: Server[] = [http];
  try {
    await listen(http, { port: options.port ?? DEFAULTS.port, host: options.host ?? DEFAULTS.host });
    if (proxyServer && options.browserProxy) {
      servers.push(proxyServer);
      await listen(proxyServer, { port: options.browserProxy.port, host: options.browserProxy.host });
      proxyPort = (proxyServer.address() as AddressInfo).port;
    }
    if (socketPath) {
      const local = createServer(
        getRequestListener(
          createApp(controlPlane, parts, {
            trusted: true,
            version: SERVER_VERSION,
            streams,
            sessions,
            dataDir: options.dataDir,
            joinLimits,
          }).fetch,
        ),
      );
      servers.push(local);
      await listen(local, { path: socketPath });
      chmodSync(socketPath, 0o600);
    }
  } catch (err) {
    ws.close();
    for (const s of servers) s.close();
    await cluster.stop();
    await store.close();
    throw err;
  }

  const addr = http.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `${tlsFiles ? 'https' : 'http'}://${host}:${addr.port}`;
  if (tlsFiles && tlsFiles.notAfterMs - Date.now() < 14 * 86_400_000)
    log.warn({ notAfter: tlsFiles.notAfter }, 'the TLS certificate expires within 14 days');
  let closing: Promise<void> | undefined;

  const close = (): Promise<void> => {
    closing ??= (async () => {
      // First stop announcing session ends: the agents told to move below are online again on another
      // instance in a moment (newest session wins there); announcing them offline would make peers flap.
      // Those that do not come back expire from the others' view once this instance leaves the bus.
      await controlPlane
        .stop()
        .catch((err: unknown) => log.error({ err }, 'recording last-seen at shutdown failed'));
      // Agents with more than one server URL move to another instance at once (no backoff).
      for (const s of hub.all())
        s.end(CloseCode.ReconnectElsewhere, {
          type: 'bye',
          reason: 'reconnect-elsewhere',
          message: 'this server instance is shutting down; connect to another one',
        });
      for (const stop of streams) stop();
      browserLinks.close();
      // Give the close frames a moment to leave, then cut whatever is left.
      await new Promise((r) => setTimeout(r, 100));
      // Leaves the shared view at once: the other instances drop what is left of ours at their next sweep.
      await cluster.stop().catch((err: unknown) => log.warn({ err }, 'leaving the bus failed'));
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
      await consolePersist.flush();
      await store.close();
      log.info('server stopped');
    })();
    return closing;
  };

  const reloadTls = (): void => {
    if (!options.tls || !('setSecureContext' in http)) return;
    const files = loadTlsFiles(options.tls.certFile, options.tls.keyFile);
    http.setSecureContext({ cert: files.cert, key: files.key });
    if (proxyServer && 'setSecureContext' in proxyServer)
      proxyServer.setSecureContext({ cert: files.cert, key: files.key });
    log.info(
      { cert: options.tls.certFile, notAfter: files.notAfter, subject: files.subject },
      'TLS certificate reloaded',
    );
  };

  log.info(
    {
      url,
      tls: tlsFiles
        ? { cert: options.tls?.certFile, notAfter: tlsFiles.notAfter, subject: tlsFiles.subject }
        : null,
      trustProxy: options.trustProxy ?? [],
      wsUrl: `${url.replace('http', 'ws')}/ws`,
      port: addr.port,
      adminSocket: socketPath,
      browserProxy: proxyServer
        ? { port: proxyPort, publicUrl: options.browserProxy?.publicUrl ?? null }
        : null,
      version: SERVER_VERSION,
      database: store.db.location,
      bus: cluster.bus.kind,
      instance: cluster.instanceId,
    },
    'listening',
  );
  return {
    url,
    wsUrl: `${url.replace('http', 'ws')}/ws`,
    port: addr.port,
    browserProxyPort: proxyServer ? proxyPort : null,
    tls: tlsFiles !== null,
    adminToken,
    adminSocket: socketPath,
    controlPlane: controlPlane,
    parts,
    cluster,
    reloadTls,
    close,
  };
}

/**
 * Logs the first refusal per address and minute; a refusal from a loopback address usually means a
 * reverse proxy in front of a server started without --trust-proxy (every client looks like the proxy).
 */
function limitWarner(log: Logger, addresses: ClientAddressResolver): (address: string, code: string) => void {
  const lastWarned = new Map<string, number>();
  return (address, code) => {
    const now = Date.now();
    if ((lastWarned.get(address) ?? 0) > now - 60_000) return;
    if (lastWarned.size > 1000) lastWarned.clear();
    lastWarned.set(address, now);
    const hint =
      !addresses.trustsProxies && (address === '127.0.0.1' || address === '::1')
        ? ' (behind a reverse proxy? start the server with --trust-proxy <proxy address>)'
        : '';
    log.warn({ address, code }, `connection refused by a per-address limit${hint}`);
  };
}
