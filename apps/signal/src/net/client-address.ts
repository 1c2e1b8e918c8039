import ipaddr from 'ipaddr.js';

/** One `--trust-proxy` entry: an address ("10.0.0.5", "::1") or a CIDR ("10.0.0.0/8"). */
type ProxyRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** The plain address: IPv4-mapped IPv6 ("::ffff:10.0.0.1") becomes IPv4, so one host is one key. */
export function normalizeAddress(addr: string): string | null {
  try {
    const parsed = ipaddr.process(addr.trim());
    return parsed.toString();
  } catch {
    return null;
  }
}

/**
 * Who the client is. Without trusted proxies it is the TCP peer, always: `X-Forwarded-For` is a header
 * anyone can send. With `--trust-proxy` ranges, and only when the TCP peer is one of them, the header is
 * read right to left, skipping further trusted proxies; the first address that is not a trusted proxy is
 * the client (the left part of the header is whatever the client wrote, so it is never believed).
 */
export class ClientAddressResolver {
  private readonly ranges: ProxyRange[];

  /** Throws on an entry that is neither an address nor a CIDR (a startup error, not a runtime one). */
  constructor(trustedProxies: readonly string[] = []) {
    this.ranges = trustedProxies.map(parseRange);
  }

  get trustsProxies(): boolean {
    return this.ranges.length > 0;
  }

  isTrustedProxy(addr: string): boolean {
    let parsed: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      parsed = ipaddr.process(addr);
    } catch {
      return false;
    }
    return this.ranges.some(([net, bits]) => parsed.kind() === net.kind() && parsed.match([net, bits]));
  }

  /** The client address for a connection from `peer` carrying `forwardedFor` (the raw header, if any). */
  resolve(peer: string | undefined, forwardedFor: string | string[] | undefined): string | null {
    const direct = peer ? normalizeAddress(peer) : null;
    if (!direct || this.ranges.length === 0 || !this.isTrustedProxy(direct)) return direct;
    const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
    if (!header) return direct;
    const hops = header.split(',').slice(-32);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalizeAddress(hops[i]!);
      // Garbage in the header: stop believing it at that point; the last good hop is the proxy we trust.
      if (!hop) return direct;
      if (!this.isTrustedProxy(hop)) return hop;
    }
    return direct;
  }
}

function parseRange(entry: string): ProxyRange {
  const text = entry.trim();
  try {
    if (text.includes('/')) {
      const [net, bits] = ipaddr.parseCIDR(text);
      // "::ffff:10.0.0.0/104" is the IPv4 range 10.0.0.0/8: clients are matched in their plain form.
      if (net.kind() === 'ipv6' && (net as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96)
        return [(net as ipaddr.IPv6).toIPv4Address(), bits - 96];
      return [net, bits];
    }
    const addr = ipaddr.process(text);
    return [addr, addr.kind() === 'ipv4' ? 32 : 128];
  } catch {
    throw new Error(`--trust-proxy: "${entry}" is not an IP address or CIDR`);
  }
}
