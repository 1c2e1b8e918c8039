import { type RateLimit, TokenBucket } from '@rtcmesh/limits';
import { parseIpv4, parseIpv6 } from '../addr/ip.js';
import { buildIcmp4Unreachable, buildIcmp6Unreachable } from '../builders/replies.js';
import { u16, u32 } from '../bytes.js';
import { DEFAULT_MSS, MssClamper, type MssLimits } from '../mss-clamp.js';
import { ipv4PacketLength, PROTO_ICMP, PROTO_ICMPV6 } from '../parse/ipv4.js';
import { newIpv6Upper, walkIpv6 } from '../parse/ipv6.js';
import { checkPeerId, LOCAL_PORT, type PeerId, type PortId } from '../ports.js';
import { type Route, RouteTable } from './route-table.js';

export type L3DropReason =
  | 'unknown-port'
  /** Not an IPv4/IPv6 packet, or its lengths do not add up. */
  | 'malformed'
  | 'no-route'
  /** The best route's owner is not an added peer (link down or not yet up). */
  | 'peer-down'
  /** TTL / hop limit 0: no host sends that; never forwarded. */
  | 'ttl-expired'
  /** Multicast or limited broadcast destination: the L3 overlay carries unicast only. */
  | 'multicast'
  /** From a peer, to an address not routed to 'local': we are not a transit for other peers. */
  | 'not-local'
  /** From the device, to an address routed to 'local': it would only come back. */
  | 'loop'
  /** From a peer, with a source address whose route is not owned by that peer. */
  | 'spoofed-source';

export const L3_DROP_REASONS: readonly L3DropReason[] = [
  'unknown-port',
  'malformed',
  'no-route',
  'peer-down',
  'ttl-expired',
  'multicast',
  'not-local',
  'loop',
  'spoofed-source',
];

/** What to do with one packet. REUSED between process() calls: read it before the next one. */
export interface L3Decision {
  action: 'peer' | 'local' | 'drop';
  /** The peer to send to when action is 'peer'. */
  peer: PeerId | null;
  /** The input buffer, possibly modified in place (MSS clamp). */
  packet: Buffer;
  drop: L3DropReason | null;
  /** An ICMP/ICMPv6 destination unreachable to write to the local device, or null. */
  inject: Buffer | null;
  /** The route used (or that refused the packet), or null. */
  route: Route | null;
  /**
   * From a peer: the node the packet counts as coming from (policy judges it as that node's). The
   * ingress peer, except for a packet the old site of a moved workload relayed: its source's owner.
   */
  origin: PeerId | null;
}

export interface L3RouterOptions {
  /** Route table to use (the agent may share it). Default: a new empty one. */
  readonly routes?: RouteTable;
  /** TCP MSS clamping; false disables. Default {ipv4: 1240, ipv6: 1220}. */
  readonly mss?: MssLimits | false;
  /**
   * This node's overlay addresses. Without one, no ICMP error of that family is generated. The errors
   * themselves come from the unreachable destination: a packet from one of our own addresses arriving
   * on the TUN is a martian the kernel drops, and `ping` then shows "From <destination> … Destination
   * Host Unreachable".
   */
  readonly icmpSource4?: string;
  readonly icmpSource6?: string;
  /** Budget for generated ICMP errors (all destinations together). Default 10/s, burst 20. */
  readonly icmpRate?: RateLimit;
  /** Drop packets from a peer whose source is not routed to that peer (anti-spoofing). Default true. */
  readonly checkSource?: boolean;
  /**
   * A peer whose link came back is preferred again for prefixes others also advertise only after it
   * has stayed up this long (fail-back without flapping). Default 10 s.
   */
  readonly failbackHoldMs?: number;
}

export interface L3Counters {
  packets: number;
  toPeer: number;
  toLocal: number;
  mssClamped: number;
  icmpSent: number;
  icmpRateLimited: number;
  /** Packets for a workload that moved, passed on to its new site (see process()). */
  relayed: number;
  drops: Record<L3DropReason, number>;
}

/**
 * Router for an L3 overlay: the local TUN device plus one port per peer. The overlay is a single hop:
 * TTL / hop limit is NOT decremented here (as in WireGuard/Tailscale); a subnet router's kernel
 * decrements it when it forwards into its LAN, so traceroute shows the overlay as one link. Packets
 * with TTL 0 are dropped.
 */
export class L3Router {
  readonly routes: RouteTable;
  readonly counters: L3Counters;
  readonly #peers = new Set<PeerId>();
  readonly #clamper: MssClamper | null;
  readonly #icmp4: number | null;
  readonly #icmp6: Uint8Array | null;
  readonly #icmpBucket: TokenBucket;
  readonly #checkSource: boolean;
  readonly #failbackHoldMs: number;
  /** Peers whose link is down (setPeerLink); a peer never reported on counts as up. */
  readonly #linkDown = new Set<PeerId>();
  /** Peers that came back up, until when they are still settling (see failbackHoldMs). */
  readonly #settling = new Map<PeerId, number>();
  /** Peers whose link has been up at least once: only they settle when it comes back (fail-back). */
  readonly #wasUp = new Set<PeerId>();
  readonly #v6 = newIpv6Upper();
  readonly #d: L3Decision = {
    action: 'drop',
    peer: null,
    packet: Buffer.alloc(0),
    drop: null,
    inject: null,
    route: null,
    origin: null,
  };

  constructor(opts: L3RouterOptions = {}) {
    this.routes = opts.routes ?? new RouteTable();
    const mss = opts.mss ?? DEFAULT_MSS;
    this.#clamper = mss === false ? null : new MssClamper(mss);
    this.#icmp4 = opts.icmpSource4 === undefined ? null : parseIpv4(opts.icmpSource4);
    if (opts.icmpSource4 !== undefined && this.#icmp4 === null)
      throw new Error(`bad icmpSource4 ${opts.icmpSource4}`);
    this.#icmp6 = opts.icmpSource6 === undefined ? null : parseIpv6(opts.icmpSource6);
    if (opts.icmpSource6 !== undefined && this.#icmp6 === null)
      throw new Error(`bad icmpSource6 ${opts.icmpSource6}`);
    this.#icmpBucket = new TokenBucket(opts.icmpRate ?? { pps: 10, burst: 20 });
    this.#checkSource = opts.checkSource ?? true;
    this.#failbackHoldMs = opts.failbackHoldMs ?? 10_000;
    this.routes.setOwnerRank(
      (owner) =>
        this.#linkDown.has(owner) || !this.#peers.has(owner) ? 2 : this.#settling.has(owner) ? 1 : 0,
      (owner) => this.#settling.get(owner) ?? 0,
    );
    const drops = {} as Record<L3DropReason, number>;
    for (const r of L3_DROP_REASONS) drops[r] = 0;
    this.counters = {
      packets: 0,
      toPeer: 0,
      toLocal: 0,
      mssClamped: 0,
      icmpSent: 0,
      icmpRateLimited: 0,
      relayed: 0,
      drops,
    };
  }

  get peers(): ReadonlySet<PeerId> {
    return this.#peers;
  }

  /** True for a peer that was added and not removed (the forwarder's check for a packet's sender). */
  hasPeer(id: PeerId): boolean {
    return this.#peers.has(id);
  }

  addPeer(id: PeerId): void {
    checkPeerId(id);
    this.#peers.add(id);
  }

  /** Detaches a peer and removes every route it owns. */
  removePeer(id: PeerId): void {
    this.#peers.delete(id);
    this.#linkDown.delete(id);
    this.#settling.delete(id);
    this.#wasUp.delete(id);
    this.routes.removeOwner(id);
  }

  /**
   * The peer's link went down or came up. Down: packets routed to it get ICMP unreachable, and a
   * prefix another live peer also advertises moves there at once. Up: it takes such prefixes back
   * only after failbackHoldMs up (sweep() re-elects then).
   */
  setPeerLink(id: PeerId, up: boolean, nowMs: number): void {
    if (up) {
      const wasDown = this.#linkDown.delete(id);
      // A first link-up is not a fail-back: nothing was moved away from this peer yet.
      if (wasDown && this.#wasUp.has(id)) this.#settling.set(id, nowMs + this.#failbackHoldMs);
      this.#wasUp.add(id);
      if (!wasDown) return;
    } else {
      if (this.#linkDown.has(id)) return;
      this.#linkDown.add(id);
      this.#settling.delete(id);
    }
    this.routes.reelect(id);
  }

  isPeerUp(id: PeerId): boolean {
    return this.#peers.has(id) && !this.#linkDown.has(id);
  }

  /** Ends hold-downs that are over (call every second or so). */
  sweep(nowMs: number): void {
    for (const [id, until] of this.#settling) {
      if (until > nowMs) continue;
      this.#settling.delete(id);
      this.routes.reelect(id);
    }
  }

  process(ingress: PortId, packet: Buffer, nowMs: number): L3Decision {
    const d = this.#d;
    d.action = 'drop';
    d.peer = null;
    d.packet = packet;
    d.drop = null;
    d.inject = null;
    d.route = null;
    this.counters.packets++;
    const fromLocal = ingress === LOCAL_PORT;
    d.origin = fromLocal ? null : ingress;
    if (!fromLocal && !this.#peers.has(ingress)) return this.#drop('unknown-port');
    if (packet.length < 20) return this.#drop('malformed');
    const version = packet[0]! >>> 4;
    let route: Route | undefined;
    let end: number;
    if (version === 4) {
      const total = ipv4PacketLength(packet, 0);
      if (total < 0) return this.#drop('malformed');
      end = total;
      if (packet[8] === 0) return this.#drop('ttl-expired');
      const dst = u32(packet, 16);
      if (dst >>> 28 === 0xe || dst === 0xffff_ffff) return this.#drop('multicast');
      if (!fromLocal && this.#checkSource) {
        const srcAddr = u32(packet, 12);
        const src = this.routes.lookup4(srcAddr);
        // A peer may send from any address one of its routes covers, not only where the best route
        // points: a site of a mobility prefix answers for a host that just moved to it before every
        // member has its /32, an HA standby router forwards from the LAN both advertise. Never from a
        // node's own address.
        const covered =
          src !== undefined && src.kind !== 'node' && this.routes.hasRouteVia4(srcAddr, ingress);
        if (src?.owner !== ingress && !covered) {
          // Relayed by the old site of a workload that moved here (see the relay below): it keeps its
          // sender's source. Taken only for a host route of ours, from a node that routes the prefix
          // the host lies in, and judged as coming from the source's owner.
          const to = this.routes.lookup4(dst);
          if (
            src === undefined ||
            src.owner === LOCAL_PORT ||
            to?.owner !== LOCAL_PORT ||
            to.kind !== 'host' ||
            !this.routes.hasRouteVia4(dst, ingress)
          )
            return this.#drop('spoofed-source');
          d.origin = src.owner;
        }
      }
      route = this.routes.lookup4(dst);
    } else if (version === 6) {
      if (packet.length < 40) return this.#drop('malformed');
      end = 40 + u16(packet, 4);
      if (end > packet.length) return this.#drop('malformed');
      if (packet[7] === 0) return this.#drop('ttl-expired');
      if (packet[24] === 0xff) return this.#drop('multicast');
      if (!fromLocal && this.#checkSource && this.routes.lookup6(packet, 8)?.owner !== ingress) {
        return this.#drop('spoofed-source');
      }
      route = this.routes.lookup6(packet, 24);
    } else {
      return this.#drop('malformed');
    }
    if (route === undefined) {
      if (fromLocal) this.#unreachable(packet, version, end, nowMs);
      return this.#drop('no-route');
    }
    d.route = route;
    if (fromLocal) {
      if (route.owner === LOCAL_PORT) return this.#drop('loop');
      if (!this.#peers.has(route.owner) || this.#linkDown.has(route.owner)) {
        this.#unreachable(packet, version, end, nowMs);
        return this.#drop('peer-down');
      }
      d.action = 'peer';
      d.peer = route.owner;
      this.counters.toPeer++;
    } else if (route.owner !== LOCAL_PORT) {
      // The old site of a workload that just moved: what still reaches it goes on to the new site
      // until every sender has the new route (no black hole while the move converges). Only for IPv4
      // host routes inside a prefix this node routes itself (its mobility prefix), only what came
      // straight from its sender (one relay, never two), never back where it came from; the TTL is
      // decremented, so two sites with stale views cannot loop a packet.
      if (
        route.kind !== 'host' ||
        version !== 4 ||
        !this.routes.hasRouteVia4(u32(packet, 16), LOCAL_PORT) ||
        route.owner === ingress ||
        d.origin !== ingress ||
        !this.#peers.has(route.owner) ||
        this.#linkDown.has(route.owner)
      )
        return this.#drop('not-local');
      if (!decrementHopLimit(packet, version)) return this.#drop('ttl-expired');
      d.action = 'peer';
      d.peer = route.owner;
      this.counters.relayed++;
      return d;
    } else {
      d.action = 'local';
      this.counters.toLocal++;
    }
    if (this.#clamper?.clampIp(packet, 0, end)) this.counters.mssClamped++;
    return d;
  }

  #drop(reason: L3DropReason): L3Decision {
    this.counters.drops[reason]++;
    this.#d.drop = reason;
    return this.#d;
  }

  /** ICMP(v6) destination unreachable back to the sender, unless RFC 1812 / RFC 4443 forbid one. */
  #unreachable(p: Buffer, version: number, end: number, nowMs: number): void {
    if (version === 4) {
      if (this.#icmp4 === null) return;
      const src = u32(p, 12);
      if (src === 0 || src >>> 28 === 0xe || src >>> 24 === 127) return;
      if ((u16(p, 6) & 0x1fff) !== 0) return; // only for the first fragment
      const hl = (p[0]! & 0x0f) * 4;
      if (p[9] === PROTO_ICMP) {
        // Never about an ICMP error; only about echo/timestamp/... queries.
        const type = hl < end ? p[hl]! : 0xff;
        if (type !== 8 && type !== 13 && type !== 15 && type !== 17) return;
      }
      if (!this.#takeIcmp(nowMs)) return;
      this.#d.inject = buildIcmp4Unreachable(p, 0, end, u32(p, 16), 1 /* host unreachable */);
      this.counters.icmpSent++;
      return;
    }
    if (this.#icmp6 === null) return;
    if (p[8] === 0xff || isZero16(p, 8)) return;
    const u = this.#v6;
    if (walkIpv6(p, 0, end, u)) {
      if (u.nonFirstFragment) return;
      if (u.proto === PROTO_ICMPV6 && (u.offset >= u.end || p[u.offset]! < 128)) return; // an error message
    }
    if (!this.#takeIcmp(nowMs)) return;
    this.#d.inject = buildIcmp6Unreachable(p, 0, end, p.subarray(24, 40), 0 /* no route to destination */);
    this.counters.icmpSent++;
  }

  #takeIcmp(nowMs: number): boolean {
    if (this.#icmpBucket.take(nowMs)) return true;
    this.counters.icmpRateLimited++;
    return false;
  }
}

/** TTL / hop limit minus one (IPv4 checksum updated, RFC 1624); false when it would reach 0. */
function decrementHopLimit(p: Buffer, version: number): boolean {
  if (version === 6) {
    if (p[7]! <= 1) return false;
    p[7] = p[7]! - 1;
    return true;
  }
  if (p[8]! <= 1) return false;
  p[8] = p[8]! - 1;
  const sum = ((p[10]! << 8) | p[11]!) + 0x0100;
  const folded = (sum & 0xffff) + (sum >>> 16);
  p[10] = folded >>> 8;
  p[11] = folded & 0xff;
  return true;
}

function isZero16(b: Uint8Array, o: number): boolean {
  for (let i = 0; i < 16; i++) if (b[o + i] !== 0) return false;
  return true;
}
