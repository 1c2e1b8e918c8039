import { z } from 'zod';

/**
 * The small grammar of policy entries, shared by validation (messages) and the compiler (meaning).
 * Browser-safe: zod only.
 *
 *   host    = "*" | "tag:NAME" | "group:NAME" | IP | CIDR | node name or id
 *           | "browser:NAME" | "browser:*"   (only in the src of L3 rules; "*" never includes browsers)
 *   dst     = host ":" ports          ("[v6]:ports" also accepted)
 *   ports   = "*" | range ("," range)*,  range = N | N-M   (0-65535)
 */

export type HostSelector =
  | { kind: 'any' }
  | { kind: 'tag'; tag: string }
  | { kind: 'group'; group: string }
  | { kind: 'cidr'; cidr: string }
  | { kind: 'node'; name: string }
  /** An admin's web browser reaching TCP services through an agent; name '*' = any browser. */
  | { kind: 'browser'; name: string };

const TAG_RE = /^tag:[a-z0-9][a-z0-9-]{0,62}$/;
const GROUP_RE = /^group:[a-z0-9][a-z0-9-]{0,62}$/;
const NODE_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const BROWSER_NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
const BROWSER_PREFIX = 'browser:';
const IpOrCidr = z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()]);

export function parseHost(s: string): HostSelector | string {
  if (s === '*') return { kind: 'any' };
  if (s.startsWith('tag:')) return TAG_RE.test(s) ? { kind: 'tag', tag: s } : `bad tag "${s}"`;
  if (s.startsWith('group:')) return GROUP_RE.test(s) ? { kind: 'group', group: s } : `bad group "${s}"`;
  if (s.startsWith(BROWSER_PREFIX)) {
    const name = s.slice(BROWSER_PREFIX.length);
    return name === '*' || BROWSER_NAME_RE.test(name)
      ? { kind: 'browser', name }
      : `bad browser "${s}": "browser:" + lowercase letters, digits, ".", "_", "-" (or "browser:*")`;
  }
  if (IpOrCidr.safeParse(s).success) return { kind: 'cidr', cidr: s };
  if (/^[0-9.]+(\/\d+)?$/.test(s) || s.includes(':') || s.includes('/'))
    return `"${s}" is not a valid IP address or CIDR`;
  if (NODE_RE.test(s)) return { kind: 'node', name: s };
  return `"${s}" is not "*", a node name, a tag:, a group:, an IP or a CIDR`;
}

/** Inclusive port ranges, flattened [lo0, hi0, lo1, hi1, ...]; null = every port ("*"). */
export type PortRanges = number[] | null;

export function parsePorts(s: string): PortRanges | string {
  if (s === '*') return null;
  if (s === '') return 'missing ports after ":" (use "*" for every port)';
  const out: number[] = [];
  for (const part of s.split(',')) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    if (!m) return `bad port range "${part}" (use N, N-M, or "*")`;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > 65535 || hi > 65535) return `port ${Math.max(lo, hi)} is above 65535`;
    if (lo > hi) return `port range "${part}" runs backwards`;
    out.push(lo, hi);
  }
  return out;
}

export interface DstEntry {
  host: HostSelector;
  ports: PortRanges;
}

export function parseDst(s: string): DstEntry | string {
  let hostText: string;
  let portText: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']:');
    if (close < 0) return `"${s}": expected "[address]:ports"`;
    hostText = s.slice(1, close);
    portText = s.slice(close + 2);
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0 || !/^[\d*,-]*$/.test(s.slice(colon + 1)))
      return `"${s}" needs ports: "${s}:*" or "${s}:22,443"`;
    hostText = s.slice(0, colon);
    portText = s.slice(colon + 1);
  }
  const host = parseHost(hostText);
  if (typeof host === 'string') return host;
  const ports = parsePorts(portText);
  if (typeof ports === 'string') return ports;
  return { host, ports };
}

/** Does this (src) entry name a browser rather than nodes or addresses? */
export function isBrowserEntry(s: string): boolean {
  return s.startsWith(BROWSER_PREFIX);
}

/** The identity a selector is matched against (see PolicyNode in compile.ts). */
export interface SelectableNode {
  readonly id: string;
  readonly name: string;
  readonly tags: readonly string[];
}

/**
 * Does a (non-CIDR) selector pick this node? Browsers are never nodes: a browser selector picks
 * nothing here, and "*" (any node) does not include browsers.
 */
export function selects(
  h: HostSelector,
  n: SelectableNode,
  groups: Readonly<Record<string, readonly string[]>>,
): boolean {
  switch (h.kind) {
    case 'any':
      return true;
    case 'tag':
      return n.tags.includes(h.tag);
    case 'node':
      return h.name === n.name || h.name === n.id;
    case 'group':
      return (groups[h.group] ?? []).some((m) => {
        const g = parseHost(m);
        return typeof g !== 'string' && g.kind !== 'group' && selects(g, n, groups);
      });
    case 'cidr':
    case 'browser':
      return false;
  }
}

// ---- validation messages (null = fine) ----

export const BROWSER_SRC_ONLY = 'a browser is only a source ("src") of L3 rules';
export const BROWSER_TCP_ONLY = 'browsers reach TCP services only';

function checkGroupRef(h: HostSelector, groups: ReadonlySet<string>): string | null {
  return h.kind === 'group' && !groups.has(h.group) ? `group "${h.group}" is not defined in "groups"` : null;
}

/**
 * A src entry (L3: any host form; L2: no IPs, frames carry no address the policy could trust).
 * `browser:` entries only where `allowBrowser` (the src of L3 rules).
 */
export function checkSrcEntry(
  s: string,
  groups: ReadonlySet<string>,
  allowCidr: boolean,
  allowBrowser = false,
): string | null {
  if (!allowBrowser && isBrowserEntry(s)) return BROWSER_SRC_ONLY;
  const h = parseHost(s);
  if (typeof h === 'string') return h;
  if (h.kind === 'cidr' && !allowCidr)
    return 'L2 rules select nodes ("*", names, tags, groups), not addresses';
  return checkGroupRef(h, groups);
}

const PORTLESS_OK = new Set<unknown>(['tcp', 'udp', 'any', 6, 17, 132]);

export function checkDstEntry(s: string, groups: ReadonlySet<string>, proto: unknown): string | null {
  if (isBrowserEntry(s)) return BROWSER_SRC_ONLY;
  const d = parseDst(s);
  if (typeof d === 'string') return d;
  if (d.host.kind === 'browser') return BROWSER_SRC_ONLY;
  if (d.ports !== null && !PORTLESS_OK.has(proto))
    return `ports only apply to tcp, udp and sctp; use "${s.slice(0, s.lastIndexOf(':'))}:*" for proto ${String(proto)}`;
  return checkGroupRef(d.host, groups);
}

export function checkGroupMember(s: string): string | null {
  if (isBrowserEntry(s)) return BROWSER_SRC_ONLY;
  const h = parseHost(s);
  if (typeof h === 'string') return h;
  if (h.kind === 'group') return 'groups cannot contain groups';
  if (h.kind === 'cidr') return 'groups hold node names and tags, not addresses';
  if (h.kind === 'any') return 'use "*" in the rule itself, not in a group';
  return null;
}

export const ETHERTYPE_NAMES: Readonly<Record<string, number>> = {
  ipv4: 0x0800,
  arp: 0x0806,
  ipv6: 0x86dd,
  vlan: 0x8100,
  lldp: 0x88cc,
};
