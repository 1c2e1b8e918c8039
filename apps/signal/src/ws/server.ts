import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { normalizeAddress } from '../net/client-address.js';
import type { Admission, ConnectionLimits } from './connection-limits.js';
import { Session, type SessionDeps, type SessionLimits } from './session.js';

export type WsServerOptions = SessionLimits & {
  path: string;
  heartbeatMs: number;
  /** Per-address limits checked before the upgrade; absent = none. */
  connectionLimits?: ConnectionLimits;
};

type Alive = WebSocket & { rtcmeshAlive?: boolean };

/**
 * WebSocket endpoint on the HTTP server's port (upgrade on `path`). Keepalive: a ws-level ping every
 * heartbeatMs; a socket that has not answered the previous ping is terminated, so a dead peer is
 * detected within two intervals (10 s by default).
 */
export function attachWebSocketServer(
  http: Server,
  controlPlane: ControlPlane,
  deps: SessionDeps,
  opts: WsServerOptions,
  log: Logger,
): { close(): void } {
  // Hard cap at twice the protocol limit: between the two the session answers `too-large` before closing.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxMessageBytes * 2,
    perMessageDeflate: false,
  });
  const metrics = deps.metrics;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== opts.path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const admission = opts.connectionLimits?.admit(req, socket);
    if (admission === null) return;
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req, admission));
  };
  http.on('upgrade', onUpgrade);

  wss.on('connection', (ws: Alive, req: IncomingMessage, admission: Admission | undefined) => {
    const endpoint = endpointOf(req, admission);
    ws.rtcmeshAlive = true;
    ws.on('pong', () => {
      ws.rtcmeshAlive = true;
    });
    metrics.connections.inc();
    ws.on('close', () => metrics.connections.dec());
    new Session(ws, controlPlane, deps, opts, endpoint, log.child({ endpoint }), () =>
      admission?.authenticated(),
    );
  });

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients as Set<Alive>) {
      if (!ws.rtcmeshAlive) {
        ws.terminate();
        continue;
      }
      ws.rtcmeshAlive = false;
      ws.ping();
    }
  }, opts.heartbeatMs);
  heartbeat.unref();

  return {
    close() {
      clearInterval(heartbeat);
      http.off('upgrade', onUpgrade);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}

/**
 * "ip:port" of the TCP peer; when a trusted proxy forwarded the connection, the client address it
 * named (without a port: the proxy's port would mean nothing).
 */
function endpointOf(req: IncomingMessage, admission: Admission | undefined): string | null {
  const peer = req.socket.remoteAddress ? normalizeAddress(req.socket.remoteAddress) : null;
  if (admission && admission.address !== 'unknown' && admission.address !== peer) return admission.address;
  if (!peer) return null;
  return `${peer.includes(':') ? `[${peer}]` : peer}:${req.socket.remotePort}`;
}
