import { coveredAddress, prefixCovers, prefixesOverlap, unroutablePrefixProblem } from '@rtcmesh/protocol';
import type { HostFacts } from './host-facts.js';

/** `unsafe`: no host may install it; `not-accepted`: a sound subnet route this host did not opt into. */
export type RouteVerdict = { ok: true } | { ok: false; kind: 'unsafe' | 'not-accepted'; reason: string };

export type RouteGuardOptions = {
  /** Install subnet routes peers advertise (`--accept-routes`); off: only the overlay's own addresses. */
  acceptRoutes: boolean;
  /** The overlay network: routes inside it (peers' own /32s, which move with them) are always taken. */
  networkCidr: string;
  /** A dual-stack network's IPv6 prefix: the same rule as networkCidr. */
  networkCidr6?: string | undefined;
  /**
   * This site's mobility prefixes (`--mobility`): the same prefix from another site is shared by
   * design (not a conflict with our LAN), and its workloads' /32s are taken whatever `acceptRoutes`
   * says: they are how a host that moved away from this site is still reached from it.
   */
  mobilityPrefixes?: readonly string[];
};

/**
 * Decides which advertised prefixes this agent installs, whatever the server sent (issue 16): a
 * compromised server or a hostile member must not be able to cut this host off its own LAN, its
 * gateway, the signaling and TURN servers, or reroute a large part of the internet.
 */
export class RouteGuard {
  constructor(
    private o: RouteGuardOptions,
    private facts: HostFacts & { servers: string[] } = {
      addresses: [],
      connected: [],
      gateways: [],
      servers: [],
    },
  ) {}

  setAcceptRoutes(accept: boolean): void {
    this.o = { ...this.o, acceptRoutes: accept };
  }

  setMobilityPrefixes(prefixes: readonly string[]): void {
    this.o = { ...this.o, mobilityPrefixes: [...prefixes] };
  }

  /** New facts about the host (interfaces, gateways, servers) for the next judgements. */
  update(facts: HostFacts & { servers: string[] }): void {
    this.facts = facts;
  }

  judge(prefix: string): RouteVerdict {
    try {
      for (const net of [this.o.networkCidr, this.o.networkCidr6]) {
        if (net === undefined || !prefixesOverlap(prefix, net)) continue;
        if (this.inside(prefix, net)) return { ok: true };
        return {
          ok: false,
          kind: 'unsafe',
          reason: `contains the overlay network ${net}: only its own addresses are routed there`,
        };
      }
    } catch {
      return { ok: false, kind: 'unsafe', reason: `${prefix} is not a prefix` };
    }
    const problem = unroutablePrefixProblem(prefix);
    if (problem) return { ok: false, kind: 'unsafe', reason: problem };
    // Another site's copy of our own mobility prefix: shared by design, and never routed away from our
    // LAN (it is our own route); only the hosts inside it can move.
    if (this.o.mobilityPrefixes?.includes(prefix)) return { ok: true };
    const mobile = this.mobile(prefix);
    if (!this.o.acceptRoutes && !mobile)
      return {
        ok: false,
        kind: 'not-accepted',
        reason: 'subnet routes are not accepted here (start with --accept-routes)',
      };
    const f = this.facts;
    const checks: Array<[Iterable<string>, string]> = [
      [f.servers, 'the signaling or TURN server'],
      [f.gateways, 'the default gateway'],
      [f.addresses, 'an address of this host'],
    ];
    for (const [list, what] of checks) {
      const hit = coveredAddress(prefix, list);
      if (hit !== undefined) return { ok: false, kind: 'unsafe', reason: `covers ${hit}, ${what}` };
    }
    // Our mobility LAN is shared with the other sites of the prefix by design.
    if (mobile) return { ok: true };
    const lan = f.connected.find((n) => prefixesOverlap(prefix, n));
    if (lan)
      return { ok: false, kind: 'unsafe', reason: `overlaps ${lan}, a network this host is attached to` };
    return { ok: true };
  }

  /** A host route inside one of our mobility prefixes. */
  private mobile(prefix: string): boolean {
    const list = this.o.mobilityPrefixes ?? [];
    if (!prefix.endsWith('/32')) return false;
    const ip = prefix.slice(0, -3);
    return list.some((m) => prefixCovers(m, ip));
  }

  private inside(prefix: string, net: string): boolean {
    const len = Number(prefix.slice(prefix.lastIndexOf('/') + 1));
    const netLen = Number(net.slice(net.lastIndexOf('/') + 1));
    return len >= netLen;
  }
}
