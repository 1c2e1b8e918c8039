import type { Logger } from 'pino';
import { DnsServer } from './dns-server.js';
import { type DnsNode, MeshDns } from './mesh-dns.js';
import { SystemResolver } from './system-resolver.js';

export interface MeshResolverStatus {
  /** Where it answers: the overlay address, port 53. */
  listen: string;
  /** `<network>.<suffix>`: it answers `<node>.<zone>`. */
  zone: string;
  /** Whether the host sends it the zone's queries (systemd-resolved per-link DNS), and why not. */
  resolver: 'systemd-resolved' | 'none';
  reason?: string;
  queries: number;
  answered: number;
  nxdomain: number;
  refused: number;
  malformed: number;
  limited: number;
}

/** Names for the mesh (`--dns-suffix`): the resolver on the overlay address and its registration. */
export class MeshResolver {
  private constructor(
    private readonly dns: MeshDns,
    private readonly server: DnsServer,
    private readonly system: SystemResolver,
  ) {}

  static async start(o: {
    network: string;
    suffix: string;
    device: string;
    /** The node's overlay address (bare IP). */
    address: string;
    nodes: () => readonly DnsNode[];
    logger: Logger;
    port?: number;
    system?: SystemResolver;
  }): Promise<MeshResolver> {
    const dns = new MeshDns(o.network, o.suffix, o.nodes);
    const server = await DnsServer.start({
      address: o.address,
      dns,
      logger: o.logger,
      ...(o.port ? { port: o.port } : {}),
    });
    const system = o.system ?? new SystemResolver(o.device, o.logger);
    await system.register(o.address, dns.zone);
    o.logger.info({ zone: dns.zone, listen: `${o.address}:${server.port}` }, 'answering DNS for the mesh');
    return new MeshResolver(dns, server, system);
  }

  nameOf(node: string): string {
    return this.dns.nameOf(node);
  }

  status(): MeshResolverStatus {
    return {
      listen: `${this.server.address}:${this.server.port}`,
      zone: this.dns.zone,
      resolver: this.system.registration,
      ...(this.system.reason ? { reason: this.system.reason } : {}),
      ...this.dns.counters,
      limited: this.server.limited,
    };
  }

  async stop(): Promise<void> {
    this.server.close();
    await this.system.unregister();
  }
}
