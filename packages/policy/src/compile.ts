import { FlowTable } from './flow-table.js';
import {
  type L3Fields,
  newL3Fields,
  PROTO_ICMP,
  PROTO_ICMPV6,
  PROTO_TCP,
  PROTO_UDP,
  parseL3,
} from './packet.js';
import { PrefixSet } from './prefix-set.js';
import type { Policy, Proto } from './schema.js';
import {
  ETHERTYPE_NAMES,
  type HostSelector,
  isBrowserEntry,
  parseDst,
  parseHost,
  selects,
} from './selectors.js';
import { Verdict } from './verdict.js';

/** What the compiler needs to know about each node of the network (the receiving node included). */
export interface PolicyNode {
  id: string;
  name: string;
  tags: readonly string[];
  /** Overlay addresses, as IPs or CIDRs ("10.99.0.5/24" means the address 10.99.0.5). */
  addresses: readonly string[];
  /** Prefixes the node advertises (subnet routes). */
  routes: readonly string[];
}

/** One (rule, dst entry) pair, specialised for one source node. A class: one shape on the hot path. */
class Clause {
  constructor(
    readonly rule: number,
    /** -1 any protocol, -2 ICMP or ICMPv6, else the protocol number. */
    readonly proto: number,
    /** [lo, hi, ...] destination port ranges; null = every port. */
    readonly ports: Int32Array | null,
    /** null: the source node itself is selected (the router already checked the source address is its). */
    readonly src: PrefixSet | null,
    /** null: the receiving node itself is selected (every address it delivers). */
    readonly dst: PrefixSet | null,
  ) {}
}

type DstPart = { rule: number; proto: number; ports: Int32Array | null; dst: PrefixSet | null };

interface L2Grant {
  rule: number;
  /** Allowed EtherTypes; null = all. */
  ethertypes: Int32Array | null;
}

const ICMP_ANY = -2;

function protoNumber(p: Proto | undefined): number {
  switch (p) {
    case undefined:
    case 'any':
      return -1;
    case 'tcp':
      return PROTO_TCP;
    case 'udp':
      return PROTO_UDP;
    case 'icmp':
      return ICMP_ANY;
    default:
      return p;
  }
}

/**
 * Does any of these entries ("*", a node name or id, "tag:x", "group:x") pick the node? For the
 * server's route auto-approval; CIDR entries pick nothing here.
 */
export function entriesSelect(entries: readonly string[], n: PolicyNode, policy: Policy): boolean {
  const groups = policy.groups ?? {};
  return entries.some((e) => {
    const h = parseHost(e);
    return typeof h !== 'string' && selects(h, n, groups);
  });
}

export interface CompileOptions {
  /** Keep return-traffic state across recompiles: pass the previous evaluator's table. */
  flows?: FlowTable;
}

/**
 * Compiles a policy for ONE receiving node (`selfId`): for every possible sender, the list of clauses
 * that could accept its traffic, precomputed, so a packet costs a map lookup, one header read and a
 * short loop. Recompile when the policy or the node list (names, tags, addresses, routes) changes.
 */
export function compilePolicy(
  policy: Policy | null,
  nodes: readonly PolicyNode[],
  selfId: string,
  opts: CompileOptions = {},
): PolicyEvaluator {
  return new PolicyEvaluator(policy, nodes, selfId, opts.flows ?? new FlowTable());
}

export class PolicyEvaluator {
  /** L3 traffic no rule accepts is allowed. */
  readonly l3DefaultAllow: boolean;
  readonly l2DefaultAllow: boolean;
  readonly version: number;
  /** Per sender, its clauses split by protocol bucket (see bucketOf): a UDP packet never scans TCP rules. */
  private readonly l3: Map<string, Clause[][]> = new Map();
  private readonly l3Unknown: Clause[][] = newBuckets();
  private readonly l2: Map<string, L2Grant[]> = new Map();
  private readonly fields: L3Fields = newL3Fields();

  constructor(
    policy: Policy | null,
    nodes: readonly PolicyNode[],
    selfId: string,
    readonly flows: FlowTable,
  ) {
    const p = policy ?? {};
    const rules = p.rules ?? [];
    const l2 = p.l2 ?? [];
    this.version = p.version ?? 0;
    // Rules that only name browsers say nothing about node traffic: they do not switch it to deny.
    const nodeRules = rules.filter((r) => r.src.some((s) => !isBrowserEntry(s))).length;
    this.l3DefaultAllow = (p.default ?? (nodeRules > 0 ? 'deny' : 'allow')) === 'allow';
    this.l2DefaultAllow = (p.default ?? (l2.length > 0 ? 'deny' : 'allow')) === 'allow';
    const groups = p.groups ?? {};
    const self = nodes.find((n) => n.id === selfId) ?? {
      id: selfId,
      name: selfId,
      tags: [],
      addresses: [],
      routes: [],
    };
    const others = nodes.filter((n) => n.id !== selfId);
    if (!this.l3DefaultAllow) {
      rules.forEach((r, i) => {
        // Browser entries select no node (browserAccess judges them); "*" does not include browsers.
        const hosts = r.src
          .map((s) => parseHost(s))
          .filter((h): h is HostSelector => typeof h !== 'string' && h.kind !== 'browser');
        if (hosts.length === 0) return;
        const cidrs = hosts.flatMap((h) => (h.kind === 'cidr' ? [h.cidr] : []));
        const srcCidrs = cidrs.length > 0 ? new PrefixSet(cidrs) : null;
        const dsts = this.dstClauses(i, protoNumber(r.proto), r.dst, self, groups);
        if (dsts.length === 0) return;
        for (const n of others) {
          const byIdentity = hosts.some((h) => h.kind !== 'cidr' && selects(h, n, groups));
          if (!byIdentity && !srcCidrs) continue;
          const buckets = this.l3.get(n.id) ?? newBuckets();
          for (const d of dsts)
            addClause(buckets, new Clause(d.rule, d.proto, d.ports, byIdentity ? null : srcCidrs, d.dst));
          this.l3.set(n.id, buckets);
        }
        const anyone = hosts.some((h) => h.kind === 'any');
        if (anyone || srcCidrs)
          for (const d of dsts)
            addClause(this.l3Unknown, new Clause(d.rule, d.proto, d.ports, anyone ? null : srcCidrs, d.dst));
      });
    }
    if (!this.l2DefaultAllow) {
      l2.forEach((r, i) => {
        const src = r.src.map((s) => parseHost(s)).filter((h): h is HostSelector => typeof h !== 'string');
        const dst = r.dst.map((s) => parseHost(s)).filter((h): h is HostSelector => typeof h !== 'string');
        const picks = (list: HostSelector[], n: PolicyNode) => list.some((h) => selects(h, n, groups));
        const ethertypes = r.ethertypes ? ethertypeList(r.ethertypes) : null;
        for (const n of others) {
          // L2 rules are symmetric: a frame exchange needs both directions (ARP request and reply).
          if (!((picks(src, n) && picks(dst, self)) || (picks(src, self) && picks(dst, n)))) continue;
          const list = this.l2.get(n.id) ?? [];
          list.push({ rule: i, ethertypes });
          this.l2.set(n.id, list);
        }
      });
    }
  }

  private dstClauses(
    rule: number,
    proto: number,
    dst: readonly string[],
    self: PolicyNode,
    groups: Readonly<Record<string, readonly string[]>>,
  ): DstPart[] {
    const out: DstPart[] = [];
    for (const text of dst) {
      const d = parseDst(text);
      if (typeof d === 'string') continue;
      const ports = d.ports ? Int32Array.from(d.ports) : null;
      if (d.host.kind === 'cidr') out.push({ rule, proto, ports, dst: new PrefixSet([d.host.cidr]) });
      else if (selects(d.host, self, groups)) out.push({ rule, proto, ports, dst: null });
    }
    return out;
  }

  /** Senders with at least one L3 clause (for status and tests). */
  get l3Senders(): number {
    return this.l3.size;
  }

  /**
   * A packet that arrived from peer `srcNodeId` and is to be delivered to this node (after the router
   * accepted it: its source address routes back to that peer, so identity selectors can trust it).
   */
  allowL3(srcNodeId: string, packet: Uint8Array, nowMs: number): Verdict {
    if (this.l3DefaultAllow) return Verdict.AcceptDefault;
    const f = this.fields;
    if (!parseL3(packet, 0, packet.length, f)) return Verdict.DenyMalformed;
    const clauses = (this.l3.get(srcNodeId) ?? this.l3Unknown)[bucketOf(f.proto)]!;
    for (let i = 0; i < clauses.length; i++) {
      const c = clauses[i]!;
      if (c.proto >= 0) {
        if (c.proto !== f.proto) continue;
      } else if (c.proto === ICMP_ANY && f.proto !== PROTO_ICMP && f.proto !== PROTO_ICMPV6) continue;
      if (c.ports !== null && !f.laterFragment) {
        // Ports restrict port-bearing protocols; a protocol without ports needs "*".
        if (f.dstPort < 0 || !inRanges(c.ports, f.dstPort)) continue;
      }
      if (c.src !== null && !c.src.contains(f.family, packet, f.srcOff)) continue;
      if (c.dst !== null && !c.dst.contains(f.family, packet, f.dstOff)) continue;
      return c.rule;
    }
    if (this.flows.isReturn(packet, f, nowMs)) return Verdict.AcceptReturn;
    return Verdict.DenyDefault;
  }

  /**
   * A packet this node sends to a peer: remembered so the answer gets in (see FlowTable). Tracked
   * under an allow-all policy too, so a switch to default-deny does not cut flows already running.
   */
  trackOutbound(packet: Uint8Array, nowMs: number): void {
    this.flows.trackOutbound(packet, nowMs);
  }

  /** A frame that arrived from peer `srcNodeId` (before the switch learns from it). */
  allowL2(srcNodeId: string, frame: Uint8Array): Verdict {
    if (this.l2DefaultAllow) return Verdict.AcceptDefault;
    if (frame.length < 14) return Verdict.DenyMalformed;
    const grants = this.l2.get(srcNodeId);
    if (!grants) return Verdict.DenyDefault;
    const outer = (frame[12]! << 8) | frame[13]!;
    let inner = outer;
    // Up to two VLAN tags (802.1Q, 802.1ad): the rule's EtherTypes name the payload.
    for (let off = 12; (inner === 0x8100 || inner === 0x88a8) && off < 20; ) {
      off += 4;
      if (frame.length < off + 2) return Verdict.DenyMalformed;
      inner = (frame[off]! << 8) | frame[off + 1]!;
    }
    for (let i = 0; i < grants.length; i++) {
      const g = grants[i]!;
      if (g.ethertypes === null || g.ethertypes.includes(inner) || g.ethertypes.includes(outer))
        return g.rule;
    }
    return Verdict.DenyEthertype;
  }
}

const BUCKETS = 4;
function newBuckets(): Clause[][] {
  return Array.from({ length: BUCKETS }, () => []);
}

/** 0 TCP, 1 UDP, 2 ICMP/ICMPv6, 3 anything else. */
function bucketOf(proto: number): number {
  return proto === PROTO_TCP
    ? 0
    : proto === PROTO_UDP
      ? 1
      : proto === PROTO_ICMP || proto === PROTO_ICMPV6
        ? 2
        : 3;
}

/** Files a clause under every bucket a packet it accepts could fall in (rule order kept per bucket). */
function addClause(buckets: Clause[][], c: Clause): void {
  if (c.proto === -1) for (const b of buckets) b.push(c);
  else buckets[c.proto === ICMP_ANY ? 2 : bucketOf(c.proto)]!.push(c);
}

function inRanges(r: Int32Array, port: number): boolean {
  for (let i = 0; i < r.length; i += 2) if (port >= r[i]! && port <= r[i + 1]!) return true;
  return false;
}

function ethertypeList(list: readonly (string | number)[]): Int32Array {
  const out = new Set<number>();
  for (const e of list) {
    const n = typeof e === 'number' ? e : ETHERTYPE_NAMES[e];
    if (n !== undefined) out.add(n);
  }
  // IPv4 on a segment needs ARP; IPv6's neighbour discovery is ICMPv6, inside IPv6 already.
  if (out.has(0x0800)) out.add(0x0806);
  return Int32Array.from(out);
}
