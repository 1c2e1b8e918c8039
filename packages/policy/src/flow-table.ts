import {
  isEchoReply,
  isEchoRequest,
  isIcmpError,
  type L3Fields,
  newL3Fields,
  PROTO_TCP,
  PROTO_UDP,
  parseL3,
} from './packet.js';

/** Idle timeouts of tracked flows, refreshed by every outbound packet of the flow. */
export const FLOW_TIMEOUTS_MS = { tcp: 60 * 60_000, udp: 120_000, icmp: 30_000 } as const;

export interface FlowTableOptions {
  /** Slots (rounded up to a power of two). Default 16 384 (~900 KiB). */
  capacity?: number;
  timeouts?: Partial<typeof FLOW_TIMEOUTS_MS>;
}

export interface FlowTableCounters {
  /** Flows created. */
  created: number;
  /** Live flows replaced because every slot of their probe window was taken (table full there). */
  evicted: number;
  /** Inbound packets let through as return traffic. */
  returned: number;
}

const WORDS = 10; // meta, local[4], remote[4], ports
const PROBE = 8;
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;

/**
 * Flows the local side started outward (like a stateful firewall's conntrack), so the answers get in
 * although no rule accepts them: TCP from a local SYN (not SYN-ACK: a connection a peer opened is
 * never tracked, so a policy change cuts it), UDP from any local datagram, ICMP echo from a local echo
 * request (the reply with the same identifier gets in). ICMP errors get in when the packet they quote
 * belongs to a tracked flow (path MTU discovery, port unreachable).
 *
 * Fixed-size open-addressing table in typed arrays: no allocation per packet. Each key probes PROBE
 * slots; when all of them hold live flows, the one closest to expiry is replaced (`evicted`): a flood
 * of new outbound flows can make an idle old flow lose its return path, never grow memory.
 */
export class FlowTable {
  readonly counters: FlowTableCounters = { created: 0, evicted: 0, returned: 0 };
  private readonly keys: Uint32Array;
  private readonly expires: Float64Array;
  private readonly mask: number;
  private readonly scratch = new Uint32Array(WORDS);
  private readonly fields: L3Fields = newL3Fields();
  private readonly quoted: L3Fields = newL3Fields();
  private readonly timeouts: typeof FLOW_TIMEOUTS_MS;

  constructor(opts: FlowTableOptions = {}) {
    let cap = 16;
    while (cap < (opts.capacity ?? 16_384)) cap *= 2;
    this.keys = new Uint32Array(cap * WORDS);
    this.expires = new Float64Array(cap);
    this.mask = cap - 1;
    this.timeouts = { ...FLOW_TIMEOUTS_MS, ...opts.timeouts };
  }

  get capacity(): number {
    return this.mask + 1;
  }

  /** Live flows (counts; O(capacity), for status only). */
  size(nowMs: number): number {
    let n = 0;
    for (let i = 0; i <= this.mask; i++) if (this.expires[i]! > nowMs) n++;
    return n;
  }

  /** Forgets every flow, or (keepTcp) every UDP/ICMP flow: see PolicyEnforcer, on a policy change. */
  flush(keepTcp = false): void {
    for (let i = 0; i <= this.mask; i++) {
      if (keepTcp && (this.keys[i * WORDS]! & 0xff) === PROTO_TCP) continue;
      this.expires[i] = 0;
    }
  }

  /** A packet the local side sends to a peer (from the device). */
  trackOutbound(packet: Uint8Array, nowMs: number): void {
    const f = this.fields;
    if (!parseL3(packet, 0, packet.length, f) || f.laterFragment) return;
    let timeout: number;
    let create = true;
    if (f.proto === PROTO_TCP) {
      timeout = this.timeouts.tcp;
      create = (f.tcpFlags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
    } else if (f.proto === PROTO_UDP || (f.srcPort >= 0 && f.dstPort >= 0)) timeout = this.timeouts.udp;
    else if (f.icmpType >= 0 && isEchoRequest(f.family, f.icmpType)) timeout = this.timeouts.icmp;
    else return;
    this.writeKey(packet, f, false);
    this.upsert(nowMs, timeout, create);
  }

  /** Is this packet from a peer the answer to a flow the local side started? */
  isReturn(packet: Uint8Array, f: L3Fields, nowMs: number): boolean {
    if (f.laterFragment) return false;
    let hit: boolean;
    if (f.icmpType >= 0) {
      if (isEchoReply(f.family, f.icmpType)) {
        this.writeKey(packet, f, true);
        hit = this.find(nowMs) >= 0;
      } else if (isIcmpError(f.family, f.icmpType)) {
        // The quoted packet is one the local side sent: look it up in outbound orientation.
        const q = this.quoted;
        if (!parseL3(packet, f.transportOff + 8, f.end, q, true) || q.family !== f.family) return false;
        if (q.icmpType >= 0 && !isEchoRequest(q.family, q.icmpType)) return false;
        this.writeKey(packet, q, false);
        hit = this.find(nowMs) >= 0;
      } else return false;
    } else {
      if (f.srcPort < 0) return false;
      this.writeKey(packet, f, true);
      hit = this.find(nowMs) >= 0;
    }
    if (hit) this.counters.returned++;
    return hit;
  }

  /**
   * Key in outbound orientation: (proto, local addr, remote addr, local port, remote port). `inbound`:
   * the packet travels the other way, so source and destination swap. ICMP echo uses the identifier as
   * the local port.
   */
  private writeKey(p: Uint8Array, f: L3Fields, inbound: boolean): void {
    const k = this.scratch;
    const n = f.family === 4 ? 1 : 4;
    const local = inbound ? f.dstOff : f.srcOff;
    const remote = inbound ? f.srcOff : f.dstOff;
    k[0] = (f.family << 8) | f.proto | 0x10000;
    for (let i = 0; i < 4; i++) {
      k[1 + i] = i < n ? readU32(p, local + 4 * i) : 0;
      k[5 + i] = i < n ? readU32(p, remote + 4 * i) : 0;
    }
    if (f.icmpType >= 0) k[9] = f.icmpId << 16;
    else k[9] = inbound ? ((f.dstPort << 16) | f.srcPort) >>> 0 : ((f.srcPort << 16) | f.dstPort) >>> 0;
  }

  private hash(): number {
    const k = this.scratch;
    let h = 0x811c9dc5;
    for (let i = 0; i < WORDS; i++) h = Math.imul(h ^ k[i]!, 0x01000193);
    h ^= h >>> 15;
    return Math.imul(h, 0x2c1b3c6d) >>> 0;
  }

  private matches(slot: number): boolean {
    const base = slot * WORDS;
    const k = this.scratch;
    for (let i = 0; i < WORDS; i++) if (this.keys[base + i] !== k[i]) return false;
    return true;
  }

  private find(nowMs: number): number {
    const h = this.hash();
    for (let i = 0; i < PROBE; i++) {
      const slot = (h + i) & this.mask;
      if (this.expires[slot]! > nowMs && this.matches(slot)) return slot;
    }
    return -1;
  }

  private upsert(nowMs: number, timeoutMs: number, create: boolean): void {
    const h = this.hash();
    let free = -1;
    let oldest = -1;
    for (let i = 0; i < PROBE; i++) {
      const slot = (h + i) & this.mask;
      const live = this.expires[slot]! > nowMs;
      if (live && this.matches(slot)) {
        this.expires[slot] = Math.max(this.expires[slot]!, nowMs + timeoutMs);
        return;
      }
      if (!live) {
        if (free < 0) free = slot;
      } else if (oldest < 0 || this.expires[slot]! < this.expires[oldest]!) oldest = slot;
    }
    if (!create) return;
    let slot = free;
    if (slot < 0) {
      slot = oldest;
      this.counters.evicted++;
    }
    this.keys.set(this.scratch, slot * WORDS);
    this.expires[slot] = nowMs + timeoutMs;
    this.counters.created++;
  }
}

function readU32(p: Uint8Array, o: number): number {
  return ((p[o]! << 24) | (p[o + 1]! << 16) | (p[o + 2]! << 8) | p[o + 3]!) >>> 0;
}
