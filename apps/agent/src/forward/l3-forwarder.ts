import { L3Router, type L3RouterOptions, LOCAL_PORT, type RouteKind } from '@rtcmesh/dataplane';
import type { Binding, PeerInfo } from '@rtcmesh/protocol';
import type { Forwarder, FrameSink, ReceiveFilter } from './forwarder.js';

export function routeKind(prefix: string): RouteKind {
  const len = Number(prefix.slice(prefix.indexOf('/') + 1));
  return (prefix.includes(':') && len === 128) || (!prefix.includes(':') && len === 32) ? 'host' : 'subnet';
}

/** The /32 or /128 of an interface address given as CIDR ("10.99.0.5/24" -> "10.99.0.5/32"). */
export function hostPrefix(cidr: string): string {
  const ip = cidr.slice(0, cidr.indexOf('/'));
  return `${ip}/${ip.includes(':') ? 128 : 32}`;
}

/**
 * L3 mode: the TUN and every peer link are interfaces of one router. Each node owns the /32 of its
 * overlay address; subnet routers own the LANs they advertise; a /32 host route advertised by the
 * site where a workload runs now beats its old site's subnet by prefix length.
 */
export class L3Forwarder implements Forwarder {
  readonly mode = 'l3' as const;
  readonly engine: L3Router;
  private filter: ReceiveFilter | null = null;
  private ownPrefixes: string[] = [];

  constructor(
    private readonly sink: FrameSink,
    own: { addresses: string[]; routes: { prefix: string; seq: number }[] },
    options: Omit<L3RouterOptions, 'icmpSource4' | 'icmpSource6'> = {},
  ) {
    const v4 = own.addresses.find((a) => !a.includes(':'));
    const v6 = own.addresses.find((a) => a.includes(':'));
    this.engine = new L3Router({
      ...options,
      ...(v4 ? { icmpSource4: v4.slice(0, v4.indexOf('/')) } : {}),
      ...(v6 ? { icmpSource6: v6.slice(0, v6.indexOf('/')) } : {}),
    });
    for (const a of own.addresses) {
      this.engine.routes.upsert({ prefix: hostPrefix(a), owner: LOCAL_PORT, seq: 0, kind: 'node' });
    }
    this.setOwnRoutes(own.routes);
  }

  /** The prefixes this node routes for others (`--advertise-routes`, also changed by `rtcmesh set`). */
  setOwnRoutes(routes: readonly { prefix: string; seq: number }[]): void {
    for (const prefix of this.ownPrefixes) this.engine.routes.remove(prefix, LOCAL_PORT);
    this.ownPrefixes = routes.map((r) => r.prefix);
    for (const r of routes)
      this.engine.routes.upsert({
        prefix: r.prefix,
        owner: LOCAL_PORT,
        seq: r.seq,
        kind: routeKind(r.prefix),
      });
  }

  fromDevice(frames: Buffer[]): void {
    const now = Date.now();
    for (const packet of frames) {
      const d = this.engine.process(LOCAL_PORT, packet, now);
      if (d.action === 'peer' && d.peer) {
        this.filter?.trackOutbound(d.packet);
        this.sink.toPeer(d.peer, d.packet);
      } else if (d.inject) this.sink.toDevice(d.inject);
    }
  }

  fromPeer(peerId: string, packet: Buffer): void {
    if (!this.engine.hasPeer(peerId)) return;
    const d = this.engine.process(peerId, packet, Date.now());
    // The old site of a workload that moved passes on what still reaches it (L3Router.process); the
    // new site judges it.
    if (d.action === 'peer' && d.peer) {
      this.sink.toPeer(d.peer, d.packet);
      return;
    }
    // After the router: it drops spoofed sources (the source must route back to this peer, or it was
    // relayed for a moved host and counts as its source's), so the policy may judge it by its origin.
    if (d.action !== 'local') return;
    if (this.filter && !this.filter.allowFromPeer(d.origin ?? peerId, d.packet)) return;
    this.sink.toDevice(d.packet);
  }

  addPeer(peerId: string): void {
    this.engine.addPeer(peerId);
  }

  removePeer(peerId: string): void {
    this.engine.removePeer(peerId);
  }

  setLinkState(peerId: string, up: boolean, nowMs: number): void {
    if (this.engine.hasPeer(peerId)) this.engine.setPeerLink(peerId, up, nowMs);
  }

  /**
   * Prefixes more than one node advertises (HA subnet routers, a workload between sites): which one
   * forwards now, and the others. Node ids; the agent names them.
   */
  routeChoices(): { prefix: string; primary: string; standby: string[] }[] {
    const out: { prefix: string; primary: string; standby: string[] }[] = [];
    for (const { best, candidates } of this.engine.routes.contested())
      out.push({
        prefix: best.prefix,
        primary: best.owner,
        standby: candidates.filter((r) => r !== best).map((r) => r.owner),
      });
    return out;
  }

  updatePeer(peer: PeerInfo): void {
    if (!this.engine.hasPeer(peer.nodeId)) this.addPeer(peer.nodeId);
    const routes = this.engine.routes;
    routes.removeOwner(peer.nodeId);
    for (const a of peer.addresses)
      routes.upsert({ prefix: hostPrefix(a), owner: peer.nodeId, seq: 0, kind: 'node' });
    for (const r of peer.routes)
      routes.upsert({ prefix: r.prefix, owner: peer.nodeId, seq: r.seq, kind: routeKind(r.prefix) });
  }

  localBindings(): Binding[] {
    return [];
  }

  counters(): Record<string, number> {
    const c = this.engine.counters;
    const out: Record<string, number> = {
      packets: c.packets,
      toPeer: c.toPeer,
      toLocal: c.toLocal,
      mssClamped: c.mssClamped,
      icmpSent: c.icmpSent,
      icmpRateLimited: c.icmpRateLimited,
      relayed: c.relayed,
      routes: this.engine.routes.size,
    };
    for (const [reason, n] of Object.entries(c.drops)) out[`drop.${reason}`] = n;
    return out;
  }

  sweep(nowMs: number): void {
    this.engine.sweep(nowMs);
  }

  setReceiveFilter(filter: ReceiveFilter | null): void {
    this.filter = filter;
  }
}
