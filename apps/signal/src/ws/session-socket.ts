import { CloseCode, type ErrorCode, type ServerMessage } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Metrics } from '../metrics/metrics.js';
import { type PeerPage, peersPageMessage } from './peer-pages.js';

/**
 * The outbound side of one session's WebSocket: what is sent to the client, the bound on what may
 * wait in the socket for a client that does not read, and the answers to what it sent wrong.
 */
export class SessionSocket {
  constructor(
    private readonly ws: WebSocket,
    /** Outbound bytes queued for a client that does not read; beyond it the session is closed. */
    private readonly maxBufferedBytes: number,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    /** The session's node (empty before it authenticates), for the log. */
    private readonly nodeId: () => string,
  ) {}

  get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  send(msg: ServerMessage): void {
    this.sendRaw(JSON.stringify(msg));
  }

  sendRaw(raw: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.maxBufferedBytes) {
      // Queuing more for a client that does not read would grow memory without bound.
      this.log.warn({ node: this.nodeId() }, 'closing slow consumer');
      this.metrics.limited.inc({ limit: 'ws-slow-consumer' });
      this.ws.close(CloseCode.SlowConsumer, 'slow consumer');
      this.ws.terminate();
      return;
    }
    this.ws.send(raw);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  /** Answers the client with an `error` (about the message `ref`, when it had an id). */
  error(code: ErrorCode, message: string, ref?: string): void {
    this.metrics.errors.inc({ code });
    const msg: ServerMessage = { type: 'error', code, message };
    if (ref !== undefined) msg.ref = ref;
    this.send(msg);
  }

  /** Rejects: answers with an `error`, then closes with `closeCode`. */
  fail(code: ErrorCode, message: string, closeCode: number, ref?: string): void {
    this.metrics.rejected.inc({ reason: code });
    this.error(code, message, ref);
    this.ws.close(closeCode, code);
  }

  /**
   * The welcome's further pages, each sent once the previous one has left the socket, so a large
   * network's welcome never counts against the slow-consumer limit. Updates broadcast meanwhile are
   * queued behind them by the socket; the client applies them after the list is complete.
   */
  async sendPeerPages(pages: PeerPage[], stillOpen: () => boolean): Promise<void> {
    for (let i = 0; i < pages.length; i++) {
      if (!stillOpen() || this.ws.readyState !== this.ws.OPEN) return;
      const raw = peersPageMessage(pages[i]!, i < pages.length - 1);
      const sent = await new Promise<boolean>((resolve) => this.ws.send(raw, (err) => resolve(!err)));
      if (!sent) return;
    }
  }
}
