import { randomBytes } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { type Ipv4Cidr, ipv4ToNumber, parseIpv4Cidr } from './ipv4.js';

/**
 * The IPv6 side of a dual-stack L3 network. A node's IPv6 address carries the host number of its
 * IPv4 lease inside the network's IPv6 prefix (10.99.0.5 in 10.99.0.0/24 → fd7a:…::5 in a /64), so
 * the lease table stays the one source of addresses: nothing to allocate twice, nothing to leak,
 * and a node keeps both addresses for as long as it keeps its lease.
 */

/** A fresh unique local prefix (RFC 4193): fd, 40 random bits of global ID, subnet 0, as a /64. */
export function newUlaPrefix(random: (n: number) => Buffer = randomBytes): string {
  const id = random(5);
  const words = [0xfd00 | id[0]!, (id[1]! << 8) | id[2]!, (id[3]! << 8) | id[4]!, 0];
  return `${words.map((w) => w.toString(16)).join(':')}::/64`;
}

/**
 * Why `prefix` cannot be the IPv6 prefix of a network whose IPv4 range is `v4`, or undefined: it
 * must be a unicast prefix (ULA fc00::/7 or global 2000::/3) with room for every IPv4 host number,
 * between /16 and /120.
 */
export function ipv6PrefixProblem(prefix: string, v4: Ipv4Cidr): string | undefined {
  let net: ipaddr.IPv6;
  let len: number;
  try {
    const [addr, l] = ipaddr.parseCIDR(prefix);
    if (addr.kind() !== 'ipv6') return `${prefix} is not an IPv6 prefix`;
    net = addr as ipaddr.IPv6;
    len = l;
  } catch {
    return `${prefix} is not an IPv6 prefix like fd7a:115c:a1e0::/64`;
  }
  const range = net.range();
  if (range !== 'uniqueLocal' && range !== 'unicast')
    return `${prefix} is ${range}: use a unique local (fc00::/7) or global unicast prefix`;
  if (len < 16 || len > 120) return `${prefix}: the prefix length must be between /16 and /120`;
  if (128 - len < 32 - v4.prefix)
    return `${prefix} has ${128 - len} host bits, fewer than the ${32 - v4.prefix} of the IPv4 range`;
  return undefined;
}

/** The prefix in canonical form with its host bits cleared ("FD7A:0::1/64" → "fd7a::/64"). */
export function canonicalIpv6Prefix(prefix: string): string {
  const [addr, len] = ipaddr.parseCIDR(prefix);
  const bytes = addr.toByteArray();
  for (let bit = len; bit < 128; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return `${ipaddr.fromByteArray(bytes).toString()}/${len}`;
}

/** The IPv6 address of the node whose IPv4 lease is `address4` (see above). */
export function overlayIpv6(address4: string, v4: Ipv4Cidr, prefix6: string): string | undefined {
  const a = ipv4ToNumber(address4);
  if (a === null) return undefined;
  const host = (a - v4.network) >>> 0;
  const [net] = ipaddr.parseCIDR(prefix6);
  const bytes = net.toByteArray();
  for (let i = 0; i < 4; i++) bytes[15 - i]! |= (host >>> (8 * i)) & 0xff;
  return ipaddr.fromByteArray(bytes).toString();
}

/**
 * Every overlay address of a node as a plain IP: its IPv4 lease(s), and in a dual-stack network the
 * IPv6 address that carries the same host number.
 */
export function nodeIps(
  leases: readonly string[],
  network: { cidr: string; cidr6?: string | undefined },
): string[] {
  const v4 = parseIpv4Cidr(network.cidr);
  const cidr6 = network.cidr6;
  if (!cidr6 || !v4) return [...leases];
  const v6 = leases.map((a) => overlayIpv6(a, v4, cidr6)).filter((a): a is string => a !== undefined);
  return [...leases, ...v6];
}
