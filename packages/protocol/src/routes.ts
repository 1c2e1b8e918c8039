import ipaddr from 'ipaddr.js';

/**
 * What no member may ever route through the mesh, checked by the server before it stores an
 * advertisement and again by every agent before it installs a route (a compromised server must not
 * be able to reroute a host either). Issue 16: one member advertising 128.0.0.0/1 or the signaling
 * server's address black-holed every other member.
 */

/** Blocks that are never routed between sites (RFC 6890): a route into them breaks the host itself. */
export const NEVER_ROUTED: readonly string[] = [
  '0.0.0.0/8',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  '::1/128',
  '::ffff:0:0/96',
  'fe80::/10',
  'ff00::/8',
];

/** Shorter prefixes than these take over a large part of the internet: only exit nodes may offer them. */
export const SHORTEST_PREFIX = { ipv4: 8, ipv6: 16 } as const;

type Parsed = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parse(prefix: string): Parsed {
  const [addr, len] = ipaddr.parseCIDR(prefix);
  // IPv4-mapped IPv6 addresses stay IPv6 here: ::ffff:0:0/96 is itself a refused block.
  return [addr, len];
}

/** True when the two prefixes share any address (one contains the other). */
export function prefixesOverlap(a: string, b: string): boolean {
  const [aAddr, aLen] = parse(a);
  const [bAddr, bLen] = parse(b);
  if (aAddr.kind() !== bAddr.kind()) return false;
  const len = Math.min(aLen, bLen);
  return aAddr.match(bAddr as never, len);
}

/** True when `prefix` contains the address (an IPv4-mapped IPv6 address counts as its IPv4 address). */
export function prefixCovers(prefix: string, address: string): boolean {
  const [net, len] = parse(prefix);
  let addr = ipaddr.parse(address);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  if (addr.kind() !== net.kind()) return false;
  return addr.match(net as never, len);
}

/** The two routes an exit node advertises (`--advertise-exit-node`): all of IPv4, all of IPv6. */
export const EXIT_ROUTES: readonly string[] = ['0.0.0.0/0', '::/0'];

/** An exit node's default route: installed only by a client that chose that node (`--exit-node`). */
export function isExitRoute(prefix: string): boolean {
  return EXIT_ROUTES.includes(prefix);
}

/**
 * Why no agent may install `prefix` whatever an admin says, or undefined. Exit routes (a default
 * route, or anything shorter than /8 or /16) only when `allowExitRoutes`.
 */
export function unroutablePrefixProblem(
  prefix: string,
  opts: { allowExitRoutes?: boolean } = {},
): string | undefined {
  let parsed: Parsed;
  try {
    parsed = parse(prefix);
  } catch {
    return `route ${prefix} is not a prefix`;
  }
  const [addr, len] = parsed;
  const kind = addr.kind();
  if (!opts.allowExitRoutes && len < SHORTEST_PREFIX[kind]) {
    return `route ${prefix} is shorter than /${SHORTEST_PREFIX[kind]}: only an exit node may route that much`;
  }
  for (const block of NEVER_ROUTED) {
    // An exit route (0.0.0.0/0, 128.0.0.0/1) contains some of these blocks by nature; the host's own
    // routes for them are more specific and win. A prefix inside one is never acceptable.
    const [, blockLen] = parse(block);
    const inside = len >= blockLen && prefixesOverlap(prefix, block);
    if (inside || (!opts.allowExitRoutes && prefixesOverlap(prefix, block)))
      return `route ${prefix} overlaps ${block}, which is never routed`;
  }
  return undefined;
}

/** The first of `addresses` that `prefix` covers, or undefined. */
export function coveredAddress(prefix: string, addresses: Iterable<string>): string | undefined {
  for (const a of addresses) {
    try {
      if (prefixCovers(prefix, a)) return a;
    } catch {
      // Not an address (a name nobody resolved): nothing to protect by literal comparison.
    }
  }
  return undefined;
}

/** The host of an http(s)/ws(s) URL or a `stun:`/`turn:`/`turns:` ICE URL, without brackets. */
export function urlHost(url: string): string | undefined {
  const ice = /^(?:stuns?|turns?):(\[[^\]]+\]|[^:?/]+)/i.exec(url);
  if (ice) return ice[1]!.replace(/^\[|\]$/g, '');
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '') || undefined;
  } catch {
    return undefined;
  }
}
