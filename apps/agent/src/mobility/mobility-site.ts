import { hasLinkAddress, type NeighbourEvent } from '@rtcmesh/netdev';
import type { PeerInfo, Route } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { AnycastGateway } from './anycast-gateway.js';
import { type ClaimAction, claimBeats, type HostClaims, type RemoteClaim } from './host-claims.js';
import { inPrefix, type MobilitySpec } from './mobility-spec.js';

/** What a site asks of the kernel's neighbour table (NeighbourMonitor, or a fake in tests). */
export interface NeighbourControl {
  probe(ifindex: number, ip: string, mac: string): void;
  forget(ifindex: number, ip: string): void;
  /** Reads the whole table (again); resolves once it has been read. */
  dump(): Promise<void>;
}

export interface MobilityEvent {
  kind: 'host-move' | 'host-flap' | 'other';
  message: string;
  peerId?: string | undefined;
  details: Record<string, string | number>;
}

export interface MobilitySiteStatus {
  prefix: string;
  bridge: string;
  gateway: string;
  mac: string;
  /** Hosts on this site's LAN. */
  local: { ip: string; mac: string; state: string; seq: number; since: number; dampedUntil?: number }[];
  /** Hosts of the prefix other sites claim (the best claim per address). */
  remote: { ip: string; node: string; seq: number }[];
  /** The last moves this site saw, oldest first (from/to: node names; null: nowhere). */
  moves: { ip: string; at: number; from: string | null; to: string | null; seq: number }[];
}

/**
 * One mobility prefix on one site's LAN bridge: the anycast gateway, the hosts the kernel sees on the
 * bridge (neighbour events), the claims of other sites (their /32 routes inside the prefix), and the
 * HostClaims rules between them. It tells the agent when its own claims change (re-advertise, routes
 * into the kernel and the forwarder) and reports moves as events.
 */
export class MobilitySite {
  private ifindex: number | undefined;
  /** Entries last seen per address, to tell a change (fresh evidence) from a timer transition. */
  private readonly entries = new Map<string, { mac: string; state: string }>();
  private remoteView = new Map<string, RemoteClaim>();

  constructor(
    readonly spec: MobilitySpec,
    private readonly claims: HostClaims,
    private readonly gateway: AnycastGateway,
    private readonly neighbours: () => NeighbourControl | undefined,
    private readonly o: {
      logger: Logger;
      name: (nodeId: string) => string;
      onClaimsChanged: () => void;
      onEvent: (e: MobilityEvent) => void;
    },
  ) {}

  /** This site's share of the node's host limit (`--mobility-max-hosts`). */
  setMaxHosts(n: number): void {
    this.claims.setMaxHosts(n);
  }

  async start(ifindex: number): Promise<void> {
    try {
      await this.gateway.apply();
    } catch (err) {
      await this.gateway.remove();
      throw err;
    }
    this.ifindex = ifindex;
  }

  async stop(): Promise<void> {
    this.ifindex = undefined;
    await this.gateway.remove();
  }

  /** This site's routes: the prefix (approved by an admin) and a /32 per host it claims. */
  ownRoutes(prefixSeq: number): Route[] {
    return [
      { prefix: this.spec.prefix, seq: prefixSeq },
      ...this.claims.claims().map((c) => ({ prefix: `${c.ip}/32`, seq: c.seq })),
    ];
  }

  /** /32s this site claims (never installed toward the overlay here). */
  claimedPrefixes(): string[] {
    return this.claims.claims().map((c) => `${c.ip}/32`);
  }

  neighbour(e: NeighbourEvent, now: number): void {
    if (this.ifindex === undefined || e.ifindex !== this.ifindex || e.family !== 4) return;
    if (e.ip === this.spec.gateway || !inPrefix(e.ip, this.spec.prefix)) return;
    const before = this.entries.get(e.ip);
    if (e.kind === 'del' || e.state === 'failed') {
      this.entries.delete(e.ip);
      this.apply(
        this.claims.gone(e.ip, now).filter((a) => !(a.type === 'forget' && e.kind === 'del')),
        now,
      );
      return;
    }
    if (!hasLinkAddress(e.state) || e.mac === null) return;
    this.entries.set(e.ip, { mac: e.mac, state: e.state });
    // A reachable entry is a confirmation; a new entry or a new MAC is news (a gratuitous ARP after a
    // move creates one); an entry read from a dump may predate a move; a timer moving a known entry
    // to stale is nothing.
    const evidence =
      e.state === 'reachable' || e.state === 'permanent'
        ? 'confirmed'
        : e.dump
          ? 'dump'
          : !before || before.mac !== e.mac
            ? 'fresh'
            : undefined;
    if (evidence === undefined) return;
    this.apply(this.claims.seen(e.ip, e.mac, evidence, now), now);
  }

  /** The peers as they are now: their best claim per host of the prefix. */
  peersChanged(peers: readonly PeerInfo[], now: number): void {
    const next = new Map<string, RemoteClaim>();
    for (const p of peers)
      for (const r of p.routes) {
        if (!r.prefix.endsWith('/32')) continue;
        const ip = r.prefix.slice(0, -3);
        if (!inPrefix(ip, this.spec.prefix)) continue;
        const claim = { node: p.nodeId, seq: r.seq };
        const best = next.get(ip);
        if (!best || claimBeats(claim, best)) next.set(ip, claim);
      }
    const before = this.remoteView;
    this.remoteView = next;
    for (const ip of new Set([...before.keys(), ...next.keys()])) {
      const a = before.get(ip);
      const b = next.get(ip);
      if (a?.node === b?.node && a?.seq === b?.seq) continue;
      this.apply(this.claims.remoteClaim(ip, b, now), now);
    }
  }

  tick(now: number): void {
    this.apply(this.claims.tick(now), now);
  }

  status(now: number): MobilitySiteStatus {
    const name = (id: string | null) => (id === null ? null : this.o.name(id));
    return {
      prefix: this.spec.prefix,
      bridge: this.spec.bridge,
      gateway: this.spec.gateway,
      mac: this.spec.mac,
      local: this.claims.hostViews(now).sort((a, b) => (a.ip < b.ip ? -1 : 1)),
      remote: [...this.remoteView]
        .map(([ip, c]) => ({ ip, node: this.o.name(c.node), seq: c.seq }))
        .sort((a, b) => (a.ip < b.ip ? -1 : 1)),
      moves: this.claims.moveHistory().map((m) => ({ ...m, from: name(m.from), to: name(m.to) })),
    };
  }

  private apply(actions: ClaimAction[], now: number): void {
    let changed = false;
    for (const a of actions) {
      if (a.type === 'advertise') changed = true;
      else if (a.type === 'probe') {
        if (this.ifindex !== undefined) this.neighbours()?.probe(this.ifindex, a.ip, a.mac);
      } else if (a.type === 'forget') {
        if (this.ifindex !== undefined) this.neighbours()?.forget(this.ifindex, a.ip);
      } else {
        const log = a.kind === 'flapping' || a.kind === 'limit' ? 'warn' : 'info';
        this.o.logger[log]({ ip: a.ip, seq: a.seq, node: a.node && this.o.name(a.node), at: now }, a.message);
        this.o.onEvent({
          kind: a.kind === 'flapping' ? 'host-flap' : a.kind === 'limit' ? 'other' : 'host-move',
          message: `${this.spec.prefix}: ${a.message}`,
          ...(a.node ? { peerId: a.node } : {}),
          details: { ip: a.ip, prefix: this.spec.prefix, change: a.kind, ...(a.seq ? { seq: a.seq } : {}) },
        });
      }
    }
    if (changed) this.o.onClaimsChanged();
  }
}
