import { type Binding, ErrorCode, type Route } from '@rtcmesh/protocol';
import ipaddr from 'ipaddr.js';
import { MeshError } from './errors.js';

/**
 * Checks and normalizes a node's advertised routes:
 * - prefixes must be canonical (no host bits set) and unique;
 * - a route inside the network CIDR may only be a host route (/32) for one of the node's own addresses,
 *   so a node cannot claim another node's overlay address; subnet routes outside the CIDR are free.
 */
export function normalizeRoutes(
  routes: Route[],
  networkCidr: string,
  ownAddresses: readonly string[],
): Route[] {
  const [netAddr, netLen] = ipaddr.parseCIDR(networkCidr);
  const seen = new Set<string>();
  return routes.map((r) => {
    const [addr, len] = ipaddr.parseCIDR(r.prefix);
    const network =
      addr.kind() === 'ipv4'
        ? ipaddr.IPv4.networkAddressFromCIDR(r.prefix)
        : ipaddr.IPv6.networkAddressFromCIDR(r.prefix);
    if (network.toString() !== addr.toString()) {
      throw new MeshError(
        ErrorCode.InvalidAdvertisement,
        `route ${r.prefix} has host bits set (did you mean ${network.toString()}/${len}?)`,
      );
    }
    const prefix = `${addr.toString()}/${len}`;
    if (seen.has(prefix))
      throw new MeshError(ErrorCode.InvalidAdvertisement, `route ${prefix} advertised twice`);
    seen.add(prefix);
    if (addr.kind() === netAddr.kind()) {
      const overlaps = len >= netLen ? addr.match(netAddr, netLen) : netAddr.match(addr, len);
      if (overlaps && !(len === 32 && ownAddresses.includes(addr.toString()))) {
        throw new MeshError(
          ErrorCode.InvalidAdvertisement,
          `route ${prefix} overlaps the network ${networkCidr}; only a /32 for the node's own address is allowed there`,
        );
      }
    }
    return { prefix, seq: r.seq };
  });
}

/** Bindings: MACs unique per advertisement, normalized to lowercase. */
export function normalizeBindings(bindings: Binding[]): Binding[] {
  const seen = new Set<string>();
  return bindings.map((b) => {
    const mac = b.mac.toLowerCase();
    if (seen.has(mac)) throw new MeshError(ErrorCode.InvalidAdvertisement, `MAC ${mac} advertised twice`);
    seen.add(mac);
    return { mac, ips: b.ips.map((ip) => ipaddr.parse(ip).toString()), seq: b.seq };
  });
}
