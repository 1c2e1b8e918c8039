import { DEFAULT_DNS_SUFFIX, type Welcome } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { DnsNode } from '../dns/mesh-dns.js';
import { MeshResolver } from '../dns/mesh-resolver.js';

export interface ResolverStartOptions {
  /** The first configuration: the network's name and this node's overlay address. */
  welcome: Welcome;
  /** `--dns-suffix`; null: off (`--no-dns`); undefined: DEFAULT_DNS_SUFFIX. */
  dnsSuffix: string | null | undefined;
  /** `--no-address` (false): the device has no overlay address to answer on. */
  assignAddress: boolean;
  device: string;
  /** The names it answers, read at each query (this node first, then its peers). */
  nodes: () => readonly DnsNode[];
  logger: Logger;
  /** Tests: how the resolver starts (default MeshResolver.start). */
  start?: (o: Parameters<typeof MeshResolver.start>[0]) => Promise<MeshResolver>;
}

/**
 * `<node>.<network>.<suffix>` on the overlay address (dns/mesh-resolver.ts). A resolver that cannot
 * start (port 53 taken, no address) is said and left out: names are a convenience, never a reason
 * not to forward. Undefined when it is off or could not start.
 */
export async function startResolver(o: ResolverStartOptions): Promise<MeshResolver | undefined> {
  const w = o.welcome;
  const suffix = o.dnsSuffix === undefined ? DEFAULT_DNS_SUFFIX : o.dnsSuffix;
  const address = w.self.addresses.find((a) => !a.includes(':'))?.split('/')[0];
  if (suffix === null || !address || !o.assignAddress) return undefined;
  try {
    return await (o.start ?? ((s) => MeshResolver.start(s)))({
      network: w.network.name,
      suffix,
      device: o.device,
      address,
      logger: o.logger.child({ component: 'dns' }),
      nodes: o.nodes,
    });
  } catch (err) {
    o.logger.warn({ err: (err as Error).message, address }, 'cannot answer DNS for the mesh; names are off');
    return undefined;
  }
}
