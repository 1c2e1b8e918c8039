/**
 * Which workload addresses this site claims, and with which sequence number: the rules of EVPN MAC
 * mobility (RFC 7432 §15) applied to host routes. Pure (time is passed in), so the rules are tested
 * without a kernel; MobilitySite turns the actions into advertisements, probes and kernel routes.
 *
 * - A host seen here that nobody else claims is claimed with the seq this site last used for it (1
 *   the first time). A host another site claims is claimed with that site's seq + 1: it moved here.
 * - A site that sees another claim with a higher seq (or the same seq from a smaller node id: the
 *   tie-break of two sites that claim at once) withdraws its own at once, so traffic follows the newer
 *   claim, and probes the host on its LAN: a host that still answers here is claimed back with the
 *   next seq (a duplicate address, or a move back), one that does not is forgotten.
 * - What a site knew from before a restart (a neighbour entry read from the table, not seen to change)
 *   is not evidence of a move: a host another site claims is probed first and claimed only if it
 *   answers. So a restarted site never takes a host back with a stale number.
 * - A host that moves between sites `flapMoves` times within `flapWindowMs` is a duplicate address or
 *   a loop: this site stops claiming it back for `holdMs` and reports it once.
 * - A claimed host not confirmed for `ageMs` is probed; a failed probe (or a deleted entry) withdraws it.
 */

export interface RemoteClaim {
  readonly node: string;
  readonly seq: number;
}

/** How we know the host is here. `dump`: an entry read from the table, maybe older than a move. */
export type Evidence = 'fresh' | 'confirmed' | 'dump';

export type ClaimAction =
  | { type: 'advertise' }
  | { type: 'probe'; ip: string; mac: string }
  | { type: 'forget'; ip: string }
  | {
      type: 'event';
      kind: 'moved-in' | 'moved-out' | 'gone' | 'flapping' | 'limit';
      ip: string;
      /** The other site (moved-in: where it was; moved-out: where it is now). */
      node?: string | undefined;
      seq?: number | undefined;
      message: string;
    };

export interface HostClaimsOptions {
  /** This node's id (the tie-break between equal seqs: the smaller id keeps the host). */
  self: string;
  /** Most hosts this site claims at once; more are reported and not advertised. */
  maxHosts: number;
  /** A claimed host unconfirmed this long is probed. */
  ageMs: number;
  /** A probe with no answer either way after this long counts as failed. */
  probeTimeoutMs: number;
  flapMoves: number;
  flapWindowMs: number;
  holdMs: number;
  /** Names nodes in messages. */
  name?: (nodeId: string) => string;
}

export const DEFAULT_HOST_CLAIMS: Omit<HostClaimsOptions, 'self' | 'name'> = {
  maxHosts: 200,
  ageMs: 300_000,
  probeTimeoutMs: 10_000,
  // RFC 7432 §15.1's defaults for duplicate detection: 5 moves in 180 s.
  flapMoves: 5,
  flapWindowMs: 180_000,
  holdMs: 180_000,
};

export type HostState = 'claimed' | 'probing' | 'unclaimed';

interface LocalHost {
  ip: string;
  mac: string;
  state: HostState;
  seq: number;
  /** When this site claimed it (claimed) or began to doubt it (probing). */
  since: number;
  confirmedAt: number;
  probeSentAt: number | null;
}

export interface HostView {
  ip: string;
  mac: string;
  state: HostState;
  seq: number;
  since: number;
  dampedUntil?: number | undefined;
}

export interface HostMove {
  ip: string;
  at: number;
  from: string | null;
  to: string | null;
  seq: number;
}

const HISTORY = 64;

/** `a` beats `b`: a higher seq, or the same seq from the smaller node id. */
export function claimBeats(a: RemoteClaim, b: RemoteClaim): boolean {
  return a.seq > b.seq || (a.seq === b.seq && a.node < b.node);
}

export class HostClaims {
  private readonly hosts = new Map<string, LocalHost>();
  private readonly remote = new Map<string, RemoteClaim>();
  /**
   * The newest claim known per address, ours or another site's, kept after it is withdrawn: a host
   * that shows up again takes a higher seq even if its last site withdrew before we saw it, so a
   * member that has not heard of the withdrawal yet still prefers the new claim.
   */
  private readonly newest = new Map<string, RemoteClaim>();
  private readonly moves = new Map<string, number[]>();
  private readonly damped = new Map<string, number>();
  private readonly history: HostMove[] = [];
  /** Hosts seen beyond maxHosts, reported once each. */
  private readonly overLimit = new Set<string>();

  constructor(private o: HostClaimsOptions) {}

  /** A new bound on claimed hosts (hosts already claimed stay; new ones wait below it). */
  setMaxHosts(n: number): void {
    this.o = { ...this.o, maxHosts: n };
  }

  /** What this site advertises: a /32 per claimed host, with its seq. */
  claims(): { ip: string; seq: number }[] {
    const out: { ip: string; seq: number }[] = [];
    for (const h of this.hosts.values()) if (h.state === 'claimed') out.push({ ip: h.ip, seq: h.seq });
    return out.sort((a, b) => (a.ip < b.ip ? -1 : 1));
  }

  isClaimed(ip: string): boolean {
    return this.hosts.get(ip)?.state === 'claimed';
  }

  hostViews(now: number): HostView[] {
    return [...this.hosts.values()].map((h) => {
      const until = this.damped.get(h.ip);
      return {
        ip: h.ip,
        mac: h.mac,
        state: h.state,
        seq: h.seq,
        since: h.since,
        ...(until !== undefined && until > now ? { dampedUntil: until } : {}),
      };
    });
  }

  remoteClaims(): Map<string, RemoteClaim> {
    return new Map(this.remote);
  }

  moveHistory(): readonly HostMove[] {
    return this.history;
  }

  /** The host answers on this site's LAN (a neighbour entry that is there, or changed). */
  seen(ip: string, mac: string, evidence: Evidence, now: number): ClaimAction[] {
    const h = this.hosts.get(ip);
    if (h) {
      h.mac = mac;
      if (evidence === 'dump') return [];
      h.confirmedAt = now;
      if (h.state === 'claimed') {
        h.probeSentAt = null; // an ageing probe answered
        return [];
      }
      // A probing host that answers (or announces itself): after a yield, the host is here too, or
      // back (claimed again, and counted as a move); a host read from the table before a move was
      // known answers: it really is here.
      return this.claim(h, now);
    }
    const host: LocalHost = {
      ip,
      mac,
      state: 'unclaimed',
      seq: 0,
      since: now,
      confirmedAt: evidence === 'dump' ? 0 : now,
      probeSentAt: null,
    };
    this.hosts.set(ip, host);
    if (evidence === 'dump' && this.remote.has(ip)) return this.startProbe(host, now, false);
    return this.claim(host, now);
  }

  /** The host's entry failed or was deleted: it is not on this site's LAN (any more). */
  gone(ip: string, now: number): ClaimAction[] {
    const h = this.hosts.get(ip);
    if (!h) return [];
    this.hosts.delete(ip);
    this.overLimit.delete(ip);
    if (h.state !== 'claimed') return [{ type: 'forget', ip }];
    this.record({ ip, at: now, from: this.o.self, to: null, seq: h.seq });
    return [
      { type: 'advertise' },
      { type: 'forget', ip },
      { type: 'event', kind: 'gone', ip, seq: h.seq, message: `${ip} left this site (withdrawn)` },
    ];
  }

  /** The best claim other sites make for `ip` now (undefined: none). */
  remoteClaim(ip: string, claim: RemoteClaim | undefined, now: number): ClaimAction[] {
    const before = this.remote.get(ip);
    if (claim) {
      this.remote.set(ip, claim);
      const n = this.newest.get(ip);
      if (!n || claim.seq >= n.seq) this.newest.set(ip, claim);
    } else this.remote.delete(ip);
    const h = this.hosts.get(ip);
    if (!h) return [];
    if (claim && h.state === 'claimed' && claimBeats(claim, { node: this.o.self, seq: h.seq })) {
      this.record({ ip, at: now, from: this.o.self, to: claim.node, seq: claim.seq });
      return [
        { type: 'advertise' },
        {
          type: 'event',
          kind: 'moved-out',
          ip,
          node: claim.node,
          seq: claim.seq,
          message: `${ip} is claimed by ${this.name(claim.node)} (seq ${claim.seq}); withdrawn here, probing it`,
        },
        ...this.flap(ip, claim.node, claim.seq, now),
        ...this.startProbe(h, now, true),
      ];
    }
    // The other site withdrew: a host that is here (and not in doubt) is ours again.
    if (!claim && before && h.state === 'unclaimed' && h.confirmedAt > 0) return this.claim(h, now);
    return [];
  }

  /** Probe timeouts, ageing, the end of damping. Call every second or so. */
  tick(now: number): ClaimAction[] {
    const out: ClaimAction[] = [];
    for (const [ip, until] of this.damped) if (until <= now) this.damped.delete(ip);
    for (const h of [...this.hosts.values()]) {
      if (h.probeSentAt !== null && now - h.probeSentAt >= this.o.probeTimeoutMs) {
        // Neither an answer nor a failure: the entry vanished under the probe. Not here.
        out.push(...this.gone(h.ip, now));
        continue;
      }
      if (h.state === 'claimed' && h.probeSentAt === null && now - h.confirmedAt >= this.o.ageMs)
        out.push(...this.startProbe(h, now, false));
    }
    return out;
  }

  private claim(h: LocalHost, now: number): ClaimAction[] {
    const remote = this.remote.get(h.ip);
    const until = this.damped.get(h.ip);
    if (remote && until !== undefined && until > now) {
      h.state = 'unclaimed';
      h.probeSentAt = null;
      return [];
    }
    if (this.claims().length >= this.o.maxHosts) {
      h.state = 'unclaimed';
      h.probeSentAt = null;
      // Said once per host, not at every confirmation of its entry.
      if (this.overLimit.has(h.ip)) return [];
      this.overLimit.add(h.ip);
      return [
        {
          type: 'event',
          kind: 'limit',
          ip: h.ip,
          message: `${h.ip} not advertised: this site already claims ${this.o.maxHosts} hosts (--mobility-max-hosts)`,
        },
      ];
    }
    this.overLimit.delete(h.ip);
    const newest = this.newest.get(h.ip);
    h.seq = Math.max(remote?.seq ?? 0, newest?.seq ?? 0) + 1;
    this.newest.set(h.ip, { node: this.o.self, seq: h.seq });
    h.state = 'claimed';
    h.since = now;
    h.probeSentAt = null;
    const out: ClaimAction[] = [{ type: 'advertise' }];
    // Where it was: the site that claims it now, or the last one that did (it may have withdrawn
    // before this site saw the host arrive).
    const from = remote?.node ?? (newest && newest.node !== this.o.self ? newest.node : undefined);
    if (from) {
      this.record({ ip: h.ip, at: now, from, to: this.o.self, seq: h.seq });
      out.push({
        type: 'event',
        kind: 'moved-in',
        ip: h.ip,
        node: from,
        seq: h.seq,
        message: `${h.ip} moved here from ${this.name(from)} (seq ${h.seq})`,
      });
      out.push(...this.flap(h.ip, from, h.seq, now));
    }
    return out;
  }

  /** Counts a move of `ip`; the flapping event when it crosses the threshold (damping starts). */
  private flap(ip: string, node: string, seq: number, now: number): ClaimAction[] {
    if (!this.countMove(ip, now)) return [];
    return [
      {
        type: 'event',
        kind: 'flapping',
        ip,
        node,
        seq,
        message: `${ip} moved ${this.o.flapMoves} times in ${Math.round(this.o.flapWindowMs / 1000)} s between this site and ${this.name(node)}: a duplicate address or a loop; not claimed back for ${Math.round(this.o.holdMs / 1000)} s`,
      },
    ];
  }

  private startProbe(h: LocalHost, now: number, afterYield: boolean): ClaimAction[] {
    h.state = h.state === 'claimed' && !afterYield ? 'claimed' : 'probing';
    if (h.state === 'probing') h.since = now;
    h.probeSentAt = now;
    return [{ type: 'probe', ip: h.ip, mac: h.mac }];
  }

  /** Counts a move of `ip`; true when it crosses the flap threshold (damping starts now). */
  private countMove(ip: string, now: number): boolean {
    const list = (this.moves.get(ip) ?? []).filter((t) => now - t < this.o.flapWindowMs);
    list.push(now);
    this.moves.set(ip, list);
    if (list.length < this.o.flapMoves || this.damped.has(ip)) return false;
    this.damped.set(ip, now + this.o.holdMs);
    return true;
  }

  private record(m: HostMove): void {
    this.history.push(m);
    if (this.history.length > HISTORY) this.history.shift();
  }

  private name(node: string): string {
    return this.o.name?.(node) ?? node;
  }
}
