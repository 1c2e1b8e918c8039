import { parseIp } from '@rtcmesh/dataplane';
import type { PolicyNode } from './compile.js';
import { PrefixSet } from './prefix-set.js';
import type { L3Rule, Policy } from './schema.js';
import { type HostSelector, isBrowserEntry, parseDst, parseHost, selects } from './selectors.js';

/** Where a browser wants to go through the agent: an IPv4 or IPv6 literal (already resolved) and a TCP port. */
export interface BrowserTarget {
  ip: string;
  port: number;
}

/** `rule`: index (in `rules`) of the first rule that accepts the connection. */
export type BrowserAccess = { ok: true; rule: number } | { ok: false; reason: string };

/** The denial when no rule of the policy names any browser (an empty or absent policy included). */
const NO_BROWSER_RULE = 'no policy rule accepts browsers';

/**
 * May the browser `principal` ("browser:admin") open a TCP connection to `target` through the agent
 * of node `selfId`? Browsers get nothing by default, whatever the policy's `default`: only an L3 rule
 * whose src names them (`browser:admin` or `browser:*`; `*` alone does not include browsers), with
 * proto tcp or any, and a dst entry whose ports contain `target.port` and whose host covers
 * `target.ip` — `*` any address, an IP/CIDR by containment, a node/tag/group when the address belongs
 * to a node it selects: one of the node's addresses, inside one of its advertised routes, or loopback
 * (127.0.0.0/8, ::1), which belongs to the receiving node `selfId` (the agent connects to its own
 * loopback).
 *
 * `nodes`: the network's nodes as for compilePolicy (the receiving node included). Pure; allocates a
 * little per call (meant for a connection attempt, not for a packet).
 */
export function browserAccess(
  policy: Policy | null,
  principal: string,
  target: BrowserTarget,
  nodes: readonly PolicyNode[],
  selfId: string,
): BrowserAccess {
  const who = parseHost(principal);
  if (typeof who === 'string' || who.kind !== 'browser' || who.name === '*')
    return { ok: false, reason: `"${principal}" is not a browser principal ("browser:NAME")` };
  const bytes = ipBytes(target.ip);
  if (!bytes) return { ok: false, reason: `"${target.ip}" is not an IP address` };
  if (!Number.isInteger(target.port) || target.port < 0 || target.port > 65535)
    return { ok: false, reason: `${String(target.port)} is not a TCP port` };
  const rules = policy?.rules ?? [];
  if (!rules.some((r) => r.src.some(isBrowserEntry))) return { ok: false, reason: NO_BROWSER_RULE };

  const groups = policy?.groups ?? {};
  const family = bytes.length === 4 ? 4 : 6;
  let owners: readonly PolicyNode[] | null = null; // the nodes the address belongs to, when first needed
  const hostCovers = (h: HostSelector): boolean => {
    switch (h.kind) {
      case 'any':
        return true;
      case 'cidr':
        return new PrefixSet([h.cidr]).contains(family, bytes, 0);
      case 'browser':
        return false;
      default:
        owners ??= ownersOf(bytes, nodes, selfId);
        return owners.some((n) => selects(h, n, groups));
    }
  };

  for (const [i, r] of rules.entries()) {
    if (!acceptsBrowser(r, who.name)) continue;
    for (const text of r.dst) {
      const d = parseDst(text);
      if (typeof d === 'string') continue;
      if (d.ports !== null && !inRanges(d.ports, target.port)) continue;
      if (hostCovers(d.host)) return { ok: true, rule: i };
    }
  }
  const where = family === 6 ? `[${target.ip}]` : target.ip;
  return { ok: false, reason: `no rule accepts ${principal} to ${where}:${target.port}` };
}

/** The rule names this browser (or every browser) and covers TCP. */
function acceptsBrowser(r: L3Rule, name: string): boolean {
  if (r.proto !== undefined && r.proto !== 'tcp' && r.proto !== 'any' && r.proto !== 6) return false;
  return r.src.some((s) => {
    const h = parseHost(s);
    return typeof h !== 'string' && h.kind === 'browser' && (h.name === '*' || h.name === name);
  });
}

/** 4 or 16 bytes; an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is its IPv4 address (where it connects). */
function ipBytes(ip: string): Uint8Array | null {
  const b = parseIp(ip);
  if (b?.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff)
    return b.slice(12);
  return b;
}

function isLoopback(b: Uint8Array): boolean {
  if (b.length === 4) return b[0] === 127;
  return b.subarray(0, 15).every((x) => x === 0) && b[15] === 1;
}

/** The nodes an address belongs to: by overlay address, by advertised route, and loopback to self. */
function ownersOf(bytes: Uint8Array, nodes: readonly PolicyNode[], selfId: string): PolicyNode[] {
  const family = bytes.length === 4 ? 4 : 6;
  const out = nodes.filter((n) =>
    new PrefixSet([...n.addresses.map(addressOnly), ...n.routes]).contains(family, bytes, 0),
  );
  if (isLoopback(bytes) && !out.some((n) => n.id === selfId))
    out.push(
      nodes.find((n) => n.id === selfId) ?? { id: selfId, name: selfId, tags: [], addresses: [], routes: [] },
    );
  return out;
}

/** "10.99.0.5/24" is the address 10.99.0.5 (not the subnet). */
function addressOnly(a: string): string {
  const slash = a.indexOf('/');
  return slash < 0 ? a : a.slice(0, slash);
}

function inRanges(r: readonly number[], port: number): boolean {
  for (let i = 0; i < r.length; i += 2) if (port >= r[i]! && port <= r[i + 1]!) return true;
  return false;
}
