import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { TokenBucket } from '@rtcmesh/limits';
import type { Logger } from 'pino';

/** Inbound datagrams beyond this are dropped before any signature is checked. */
const INBOUND_RATE = { pps: 500, burst: 200 };

export interface DirectSocketOptions {
  /** UDP port to bind (0: any; tests). */
  port: number;
  /** A datagram within the inbound rate. */
  onDatagram: (msg: Buffer, from: RemoteInfo) => void;
  /** A datagram dropped ('rate'), or one that could not be sent ('send-error'). */
  onDrop: (reason: 'rate' | 'send-error') => void;
  logger: Logger;
  now: () => number;
}

/**
 * The UDP socket of direct signaling: bound on both address families where the host has IPv6,
 * IPv4 only where it has not; inbound datagrams rate limited (INBOUND_RATE).
 */
export class DirectSocket {
  private readonly inbound: TokenBucket;

  private constructor(
    private readonly socket: Socket,
    private readonly o: DirectSocketOptions,
  ) {
    this.inbound = new TokenBucket(INBOUND_RATE, o.now());
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    socket.on('error', (err) => o.logger.warn({ err: err.message }, 'direct signaling socket error'));
  }

  /** Binds the UDP socket (both address families where the host has IPv6). */
  static async listen(o: DirectSocketOptions): Promise<DirectSocket> {
    const dual = new DirectSocket(createSocket({ type: 'udp6', ipv6Only: false }), o);
    try {
      await bind(dual.socket, o.port, '::');
      return dual;
    } catch {
      // No IPv6 on this host (or in this namespace): IPv4 only.
      dual.close();
      const v4 = new DirectSocket(createSocket('udp4'), o);
      try {
        await bind(v4.socket, o.port, '0.0.0.0');
      } catch (err) {
        // The port is taken: the caller says so; the socket must not outlive the attempt.
        v4.close();
        throw err;
      }
      return v4;
    }
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Sends a datagram to a host (IPv4 or IPv6, whatever family the socket is). */
  send(datagram: Buffer, port: number, host: string): void {
    this.socket.send(datagram, port, socketAddress(this.socket, host), (err) => {
      if (err) this.o.onDrop('send-error');
    });
  }

  close(): void {
    this.socket.close();
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (!this.inbound.take(this.o.now())) {
      this.o.onDrop('rate');
      return;
    }
    this.o.onDatagram(msg, rinfo);
  }
}

function bind(socket: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    socket.once('error', onError);
    socket.bind(port, address, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

/** A dual-stack socket sends to IPv4 hosts as IPv4-mapped addresses. */
function socketAddress(socket: Socket, host: string): string {
  return socket.address().family === 'IPv6' && isIP(host) === 4 ? `::ffff:${host}` : host;
}
