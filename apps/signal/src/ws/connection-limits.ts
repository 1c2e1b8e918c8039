import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ErrorCode } from '@rtcmesh/protocol';
import { PerKeyCounter } from '../limits/per-key-counter.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ClientAddressResolver } from '../net/client-address.js';

export type ConnectionLimitOptions = {
  /** Open WebSocket connections per client address; 0 = no limit. */
  maxSessionsPerIp: number;
  /** Connections per client address that have not authenticated yet; 0 = no limit. */
  maxHandshakesPerIp: number;
  /** Open WebSocket connections in all, whoever holds them; 0 = no limit. */
  maxConnections?: number;
};

/** A connection admitted by ConnectionLimits: call authenticated() once it authenticates. */
export type Admission = { address: string; authenticated(): void };

/**
 * Per-address limits checked at the HTTP upgrade, before any WebSocket work: open connections and
 * connections still in their handshake (hello/challenge/auth, which costs the server a signature check).
 * Over a limit the upgrade is answered `429` with a JSON error body (`too-many-sessions` /
 * `too-many-handshakes`) and `Retry-After`, and counted in rtcmesh_limit_hits_total. Both counts are
 * released when the TCP socket closes, whatever happened in between, so they cannot leak.
 */
export class ConnectionLimits {
  private readonly open: PerKeyCounter | null;
  private readonly pending: PerKeyCounter | null;
  private readonly maxConnections: number;
  private total = 0;

  constructor(
    opts: ConnectionLimitOptions,
    private readonly addresses: ClientAddressResolver,
    private readonly metrics: Metrics,
    private readonly onRefused: (address: string, code: ErrorCode) => void = () => undefined,
  ) {
    this.open = opts.maxSessionsPerIp > 0 ? new PerKeyCounter(opts.maxSessionsPerIp) : null;
    this.pending = opts.maxHandshakesPerIp > 0 ? new PerKeyCounter(opts.maxHandshakesPerIp) : null;
    this.maxConnections = opts.maxConnections ?? 0;
  }

  addressOf(req: IncomingMessage): string {
    return this.addresses.resolve(req.socket.remoteAddress, req.headers['x-forwarded-for']) ?? 'unknown';
  }

  /** Admits the upgrade or answers it with 429 and returns null. */
  admit(req: IncomingMessage, socket: Duplex): Admission | null {
    const address = this.addressOf(req);
    // The global cap first: memory and file descriptors are the server's, whoever asks for them.
    if (this.maxConnections > 0 && this.total >= this.maxConnections) {
      this.refuse(
        socket,
        address,
        ErrorCode.ServerFull,
        `the server holds its limit of ${this.maxConnections} connections; retry later`,
        'ws-connections',
        503,
      );
      return null;
    }
    if (this.open && !this.open.acquire(address)) {
      this.refuse(
        socket,
        address,
        ErrorCode.TooManySessions,
        `too many connections from ${address} (limit ${this.open.max})`,
        'ws-sessions-per-ip',
      );
      return null;
    }
    if (this.pending && !this.pending.acquire(address)) {
      this.open?.release(address);
      this.refuse(
        socket,
        address,
        ErrorCode.TooManyHandshakes,
        `too many unauthenticated connections from ${address} (limit ${this.pending.max})`,
        'ws-handshakes-per-ip',
      );
      return null;
    }
    this.total++;
    let handshaking = this.pending !== null;
    const endHandshake = (): void => {
      if (!handshaking) return;
      handshaking = false;
      this.pending?.release(address);
    };
    socket.once('close', () => {
      endHandshake();
      this.open?.release(address);
      this.total--;
    });
    return { address, authenticated: endHandshake };
  }

  private refuse(
    socket: Duplex,
    address: string,
    code: ErrorCode,
    message: string,
    limit: string,
    status: 429 | 503 = 429,
  ): void {
    this.metrics.limited.inc({ limit });
    this.metrics.rejected.inc({ reason: code });
    this.onRefused(address, code);
    const body = JSON.stringify({ error: { code, message } });
    socket.end(
      `HTTP/1.1 ${status === 429 ? '429 Too Many Requests' : '503 Service Unavailable'}\r\nContent-Type: application/json\r\nRetry-After: ${status === 429 ? 10 : 30}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
}
