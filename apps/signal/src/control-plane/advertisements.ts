import {
  type Binding,
  coveredAddress,
  ErrorCode,
  isExitRoute,
  type Route,
  unroutablePrefixProblem,
} from '@rtcmesh/protocol';
import ipaddr from 'ipaddr.js';
import { ControlPlaneError } from './errors.js';

/**
 * Checks and normalizes a node's advertised routes; one bad route refuses the whole advertisement
 * (nothing is stored) with the reason:
 * - prefixes must be canonical (no host bits set) and unique;
 * - a route inside the network CIDR may only be a host route (/32) for one of the node's own addresses,
 *   so a node cannot claim another node's overlay address;
 * - never a block that is never routed (loopback, link-local, multicast, …) nor one shorter than /8
 *   (IPv6 /16): no member may take over the others' internet (protocol/routes.ts), except the exit
 *   node's 0.0.0.0/0 and ::/0, which only clients that chose that node install (`--exit-node`);
 * - never a prefix that covers the signaling server's or its STUN/TURN servers' addresses
 *   (`protectedAddresses`): the members would lose the server an admin needs to undo it.
 */
export function normalizeRoutes(
  routes: Route[],
  network: { cidr: string; cidr6?: string | undefined },
  ownAddresses: readonly string[],
  protectedAddresses: readonly string[] = [],
): Route[] {
  // The overlay's own ranges (IPv4, and IPv6 in a dual-stack network) hold only node addresses.
  const overlay = [network.cidr, ...(network.cidr6 ? [network.cidr6] : [])].map((c) => ({
    cidr: c,
    range: ipaddr.parseCIDR(c),
  }));
  const seen = new Set<string>();
  return routes.map((r) => {
    const [addr, len] = ipaddr.parseCIDR(r.prefix);
    const network =
      addr.kind() === 'ipv4'
        ? ipaddr.IPv4.networkAddressFromCIDR(r.prefix)
        : ipaddr.IPv6.networkAddressFromCIDR(r.prefix);
    if (network.toString() !== addr.toString()) {
      throw new ControlPlaneError(
        ErrorCode.InvalidAdvertisement,
        `route ${r.prefix} has host bits set (did you mean ${network.toString()}/${len}?)`,
      );
    }
    const prefix = `${addr.toString()}/${len}`;
    if (isExitRoute(prefix)) {
      // An exit node's offer: it covers everything (the server and the network included) by nature;
      // a client that takes it keeps those outside the tunnel itself. Pending until an admin approves.
      if (seen.has(prefix))
        throw new ControlPlaneError(ErrorCode.InvalidAdvertisement, `route ${prefix} advertised twice`);
      seen.add(prefix);
      return { prefix, seq: r.seq };
    }
    const problem = unroutablePrefixProblem(prefix);
    if (problem) throw new ControlPlaneError(ErrorCode.InvalidAdvertisement, problem);
    const server = coveredAddress(prefix, protectedAddresses);
    if (server !== undefined) {
      throw new ControlPlaneError(
        ErrorCode.InvalidAdvertisement,
        `route ${prefix} covers ${server}, an address of the signaling or TURN servers`,
      );
    }
    if (seen.has(prefix))
      throw new ControlPlaneError(ErrorCode.InvalidAdvertisement, `route ${prefix} advertised twice`);
    seen.add(prefix);
    for (const { cidr, range } of overlay) {
      const [netAddr, netLen] = range;
      if (addr.kind() !== netAddr.kind()) continue;
      const overlaps = len >= netLen ? addr.match(netAddr, netLen) : netAddr.match(addr, len);
      const host = addr.kind() === 'ipv4' ? 32 : 128;
      if (overlaps && !(len === host && ownAddresses.includes(addr.toString()))) {
        throw new ControlPlaneError(
          ErrorCode.InvalidAdvertisement,
          `route ${prefix} overlaps the network ${cidr}; only a /${host} for the node's own address is allowed there`,
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
    if (seen.has(mac))
      throw new ControlPlaneError(ErrorCode.InvalidAdvertisement, `MAC ${mac} advertised twice`);
    seen.add(mac);
    return { mac, ips: b.ips.map((ip) => ipaddr.parse(ip).toString()), seq: b.seq };
  });
}
