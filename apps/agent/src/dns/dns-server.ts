import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import type { MeshDns } from './mesh-dns.js';

/** Queries answered per second, all senders together; beyond it they are dropped and counted. */
const MAX_QUERIES_PER_SECOND = 2000;

/**
 * The resolver on the node's overlay address, UDP port 53: reachable by this host and by the mesh,
 * nothing else (the address lives on the TUN/TAP). Each datagram is one query; MeshDns decides.
 */
export class DnsServer {
  private windowStart = 0;
  private inWindow = 0;
  limited = 0;

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    readonly port: number,
  ) {}

  static async start(o: {
    address: string;
    port?: number;
    dns: MeshDns;
    logger: Logger;
  }): Promise<DnsServer> {
    const port = o.port ?? 53;
    const socket = createSocket({ type: o.address.includes(':') ? 'udp6' : 'udp4' });
    const server = new DnsServer(socket, o.address, port);
    socket.on('message', (msg, from) => {
      if (!server.admit()) return;
      const reply = o.dns.answer(msg);
      if (reply) socket.send(reply, from.port, from.address, () => undefined);
    });
    socket.on('error', (err) => o.logger.warn({ err: err.message }, 'DNS socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, o.address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return server;
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }

  private admit(): boolean {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (++this.inWindow <= MAX_QUERIES_PER_SECOND) return true;
    this.limited++;
    return false;
  }
}
