import { encodeMessage } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import WebSocket from 'ws';

/** The parts of a WebSocket the keepalive uses. */
export type KeepaliveSocket = Pick<WebSocket, 'readyState' | 'send' | 'terminate'>;

/**
 * The control session's app-level ping: one every `intervalMs`; no pong in 2 intervals (and a second
 * of grace) means a dead socket, which is terminated (the client then reconnects).
 */
export class ServerKeepalive {
  private timer: NodeJS.Timeout | undefined;
  private lastPong = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  /** Pings on `ws` from now on (instead of any earlier socket). */
  start(ws: KeepaliveSocket): void {
    clearInterval(this.timer);
    this.lastPong = Date.now();
    this.timer = setInterval(() => {
      if (Date.now() - this.lastPong > 2 * this.intervalMs + 1000) {
        this.logger.warn('no pong from server, reconnecting');
        ws.terminate();
        return;
      }
      if (ws.readyState === WebSocket.OPEN) ws.send(encodeMessage({ type: 'ping', ts: Date.now() }));
    }, this.intervalMs);
  }

  pong(): void {
    this.lastPong = Date.now();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
