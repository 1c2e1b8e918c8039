import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Mesh } from '../mesh/mesh.js';
import { Session, type SessionLimits } from './session.js';

export type WsServerOptions = SessionLimits & { path: string; heartbeatMs: number };

type Alive = WebSocket & { rtcmeshAlive?: boolean };

/**
 * WebSocket endpoint on the HTTP server's port (upgrade on `path`). Keepalive: a ws-level ping every
 * heartbeatMs; a socket that has not answered the previous ping is terminated, so a dead peer is
 * detected within two intervals (10 s by default).
 */
export function attachWebSocketServer(
  http: Server,
  mesh: Mesh,
  opts: WsServerOptions,
  log: Logger,
): { close(): void } {
  // Hard cap at twice the protocol limit: between the two the session answers `too-large` before closing.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: opts.maxMessageBytes * 2,
    perMessageDeflate: false,
  });
  const metrics = mesh.deps.metrics;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== opts.path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  http.on('upgrade', onUpgrade);

  wss.on('connection', (ws: Alive, req: IncomingMessage) => {
    const addr = req.socket.remoteAddress;
    const endpoint = addr ? `${addr.includes(':') ? `[${addr}]` : addr}:${req.socket.remotePort}` : null;
    ws.rtcmeshAlive = true;
    ws.on('pong', () => {
      ws.rtcmeshAlive = true;
    });
    metrics.connections.inc();
    ws.on('close', () => metrics.connections.dec());
    new Session(ws, mesh, opts, endpoint, log.child({ endpoint }));
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
