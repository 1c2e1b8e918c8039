import { hostRange, numberToIpv4, parseIpv4Cidr } from './ipv4.js';

/**
 * Picks the lowest free host address of `cidr` not in `leased`, or null when the pool is full.
 * The caller persists the choice in the same transaction (the lease table's primary key forbids doubles).
 */
export function pickFreeAddress(cidr: string, leased: ReadonlySet<string>): string | null {
  const c = parseIpv4Cidr(cidr);
  if (!c) throw new Error(`invalid network CIDR ${cidr}`);
  const { first, last } = hostRange(c);
  for (let n = first; n <= last; n++) {
    const ip = numberToIpv4(n);
    if (!leased.has(ip)) return ip;
  }
  return null;
}
