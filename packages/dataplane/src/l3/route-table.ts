import { type IpPrefix, parseIp, parsePrefix, prefixToString } from '../addr/ip.js';
import { u32 } from '../bytes.js';
import { LOCAL_PORT, type PortId } from '../ports.js';

/** 'node': a node's own address (/32, /128); 'subnet': a LAN behind a subnet router; 'host': a
 *  workload's address announced by the site where it runs now. */
export type RouteKind = 'node' | 'subnet' | 'host';

export interface Route {
  /** 'a.b.c.d/len' or 'x::/len' (host bits are cleared on insertion). */
  readonly prefix: string;
  readonly owner: PortId;
  readonly seq: number;
  readonly kind: RouteKind;
}

const KINDS: readonly RouteKind[] = ['node', 'subnet', 'host'];

/**
 * How usable a route's owner is right now: 0 up, 1 up but settling (it came back less than a
 * hold-down ago: used only when nothing better is), 2 down (its link is down: used only when nothing
 * else is, and then the router answers ICMP unreachable). The local port is always 0.
 */
export type OwnerRank = (owner: PortId) => 0 | 1 | 2;

/**
 * For an owner of rank 1: when its hold-down ends. Among subnet owners that are all settling, the
 * one that came back first (settles first) is preferred: a primary that returns while its standby is
 * itself still settling (its link bounced a moment before) waits out its own hold-down instead of
 * taking the prefix back at once.
 */
export type SettlesAt = (owner: PortId) => number;

/** Every owner's route for one prefix, and the winner. */
class Slot {
  readonly candidates: Route[] = [];
  best: Route | null = null;
  constructor(
    readonly prefix: IpPrefix,
    /** IPv6 only: the masked address as four 32-bit words. */
    readonly w0: number,
    readonly w1: number,
    readonly w2: number,
    readonly w3: number,
  ) {}

  /**
   * The best usable owner first (see OwnerRank). Then, for a workload's host route, the highest seq
   * (it moved there last); for a subnet several routers advertise (HA), a stable order — ours, then
   * the smallest owner id — so the primary does not change with restarts; ties as for subnets.
   * Settling subnet owners go by SettlesAt first.
   */
  elect(rank: OwnerRank | null, settlesAt: SettlesAt | null): void {
    let best: Route | null = null;
    let bestRank = 3;
    for (const r of this.candidates) {
      const k = r.owner === LOCAL_PORT || rank === null ? 0 : rank(r.owner);
      if (
        best === null ||
        k < bestRank ||
        (k === bestRank &&
          (k === 1 && settlesAt ? preferredSettling(r, best, settlesAt) : preferred(r, best)))
      ) {
        best = r;
        bestRank = k;
      }
    }
    this.best = best;
  }
}

function preferredSettling(r: Route, best: Route, settlesAt: SettlesAt): boolean {
  if (r.kind === 'subnet' && best.kind === 'subnet') {
    const a = settlesAt(r.owner);
    const b = settlesAt(best.owner);
    if (a !== b) return a < b;
  }
  return preferred(r, best);
}

function preferred(r: Route, best: Route): boolean {
  if (r.kind !== 'subnet' && r.seq !== best.seq) return r.seq > best.seq;
  return r.owner === LOCAL_PORT
    ? best.owner !== LOCAL_PORT
    : best.owner !== LOCAL_PORT && r.owner < best.owner;
}

const MASK4: number[] = [];
for (let l = 0; l <= 32; l++) MASK4.push(l === 0 ? 0 : (0xffff_ffff << (32 - l)) >>> 0);

function mask6(word: number, len: number): number {
  const bits = len - word * 32;
  if (bits >= 32) return 0xffff_ffff;
  if (bits <= 0) return 0;
  return (0xffff_ffff << (32 - bits)) >>> 0;
}

function hash6(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ 0x811c9dc5, 0x01000193);
  h = Math.imul(h ^ w1, 0x01000193);
  h = Math.imul(h ^ w2, 0x01000193);
  h = Math.imul(h ^ w3, 0x01000193);
  return h >>> 0;
}

function insertLength(lengths: number[], len: number): void {
  if (lengths.includes(len)) return;
  lengths.push(len);
  lengths.sort((a, b) => b - a);
}

/**
 * Longest-prefix match for IPv4 and IPv6. One hash map per prefix length in use; a lookup probes the
 * lengths present from longest to shortest (a few probes for a typical overlay: /32 + /24 + /16, or
 * /128 + /64 + /48), with no allocation. Between routes for the same prefix the higher seq wins.
 */
export class RouteTable {
  readonly #v4: (Map<number, Slot> | undefined)[] = new Array(33).fill(undefined);
  readonly #v6: (Map<number, Slot[]> | undefined)[] = new Array(129).fill(undefined);
  readonly #lens4: number[] = [];
  readonly #lens6: number[] = [];
  #count = 0;
  readonly #maxRoutes: number;
  #rank: OwnerRank | null = null;
  #settlesAt: SettlesAt | null = null;

  /** @param maxRoutes bound on route entries; upsert() throws beyond it. Default 1 000 000. */
  constructor(maxRoutes = 1_000_000) {
    this.#maxRoutes = maxRoutes;
  }

  /**
   * Makes elections consider whether owners are up (the router's link states); null: every owner is.
   * Call reelect() for an owner whose rank changed.
   */
  setOwnerRank(rank: OwnerRank | null, settlesAt: SettlesAt | null = null): void {
    this.#rank = rank;
    this.#settlesAt = settlesAt;
    for (const slot of this.#slots()) slot.elect(rank, settlesAt);
  }

  /** An owner's rank changed (its link went up or down): elect again where it is a candidate. */
  reelect(owner: PortId): void {
    for (const slot of this.#slots())
      if (slot.candidates.some((r) => r.owner === owner)) slot.elect(this.#rank, this.#settlesAt);
  }

  /** Prefixes with more than one owner (HA subnet routers, a moving workload): the winner and the rest. */
  *contested(): IterableIterator<{ best: Route; candidates: readonly Route[] }> {
    for (const slot of this.#slots())
      if (slot.candidates.length > 1) yield { best: slot.best!, candidates: slot.candidates };
  }

  *#slots(): IterableIterator<Slot> {
    for (const m of this.#v4) if (m !== undefined) yield* m.values();
    for (const m of this.#v6) if (m !== undefined) for (const b of m.values()) yield* b;
  }

  /** Number of route entries (all owners). */
  get size(): number {
    return this.#count;
  }

  /** Adds or replaces `route.owner`'s route for `route.prefix`. Throws on an invalid route. */
  upsert(route: Route): void {
    const p = parsePrefix(route.prefix);
    if (p === null) throw new Error(`invalid route prefix ${JSON.stringify(route.prefix)}`);
    if (typeof route.owner !== 'string' || route.owner.length === 0)
      throw new Error('route owner must be a port id');
    if (!Number.isSafeInteger(route.seq) || route.seq < 0) throw new Error(`invalid route seq ${route.seq}`);
    if (!KINDS.includes(route.kind)) throw new Error(`invalid route kind ${JSON.stringify(route.kind)}`);
    const stored: Route = Object.freeze({
      prefix: prefixToString(p),
      owner: route.owner,
      seq: route.seq,
      kind: route.kind,
    });
    const slot = this.#slot(p, true)!;
    const i = slot.candidates.findIndex((r) => r.owner === route.owner);
    if (i >= 0) slot.candidates[i] = stored;
    else {
      if (this.#count >= this.#maxRoutes) {
        // Drop the slot just created: an empty one would make lookups return a null route.
        if (slot.candidates.length === 0) this.#deleteSlot(slot);
        throw new Error(`route table full (${this.#maxRoutes} routes)`);
      }
      slot.candidates.push(stored);
      this.#count++;
    }
    slot.elect(this.#rank, this.#settlesAt);
  }

  /** Removes owner's route for prefix. Returns true when there was one. */
  remove(prefix: string, owner: PortId): boolean {
    const p = parsePrefix(prefix);
    if (p === null) return false;
    const slot = this.#slot(p, false);
    if (slot === null) return false;
    const i = slot.candidates.findIndex((r) => r.owner === owner);
    if (i < 0) return false;
    slot.candidates.splice(i, 1);
    this.#count--;
    if (slot.candidates.length === 0) this.#deleteSlot(slot);
    else slot.elect(this.#rank, this.#settlesAt);
    return true;
  }

  /** Removes every route of owner (a peer went away). Returns how many. */
  removeOwner(owner: PortId): number {
    const doomed: Route[] = [];
    for (const r of this.routes()) if (r.owner === owner) doomed.push(r);
    for (const r of doomed) this.remove(r.prefix, owner);
    return doomed.length;
  }

  /** Best route for an IPv4 address given as a uint32. */
  lookup4(addr: number): Route | undefined {
    const lens = this.#lens4;
    for (let i = 0; i < lens.length; i++) {
      const len = lens[i]!;
      const s = this.#v4[len]!.get((addr & MASK4[len]!) >>> 0);
      if (s !== undefined) return s.best!;
    }
    return undefined;
  }

  /**
   * True when `owner` has a route — the best or not — for some prefix that contains the IPv4 address
   * (a node that routes the mobility prefix a host lies in, though the host's /32 is elsewhere now).
   */
  hasRouteVia4(addr: number, owner: PortId): boolean {
    const lens = this.#lens4;
    for (let i = 0; i < lens.length; i++) {
      const len = lens[i]!;
      const s = this.#v4[len]!.get((addr & MASK4[len]!) >>> 0);
      if (s?.candidates.some((r) => r.owner === owner)) return true;
    }
    return false;
  }

  /** Best route for the IPv6 address at b[off, off+16). */
  lookup6(b: Uint8Array, off: number): Route | undefined {
    const a0 = u32(b, off);
    const a1 = u32(b, off + 4);
    const a2 = u32(b, off + 8);
    const a3 = u32(b, off + 12);
    const lens = this.#lens6;
    for (let i = 0; i < lens.length; i++) {
      const len = lens[i]!;
      const w0 = (a0 & mask6(0, len)) >>> 0;
      const w1 = (a1 & mask6(1, len)) >>> 0;
      const w2 = (a2 & mask6(2, len)) >>> 0;
      const w3 = (a3 & mask6(3, len)) >>> 0;
      const bucket = this.#v6[len]!.get(hash6(w0, w1, w2, w3));
      if (bucket === undefined) continue;
      for (const s of bucket) if (s.w0 === w0 && s.w1 === w1 && s.w2 === w2 && s.w3 === w3) return s.best!;
    }
    return undefined;
  }

  /** Best route for an address in text form (either family); undefined for no route or bad text. */
  lookup(ip: string): Route | undefined {
    const b = parseIp(ip);
    if (b === null) return undefined;
    return b.length === 4 ? this.lookup4(u32(b, 0)) : this.lookup6(b, 0);
  }

  /** Every route entry, all owners. */
  *routes(): IterableIterator<Route> {
    for (const m of this.#v4) if (m !== undefined) for (const s of m.values()) yield* s.candidates;
    for (const m of this.#v6)
      if (m !== undefined) for (const b of m.values()) for (const s of b) yield* s.candidates;
  }

  #slot(p: IpPrefix, create: boolean): Slot | null {
    if (p.family === 4) {
      const key = u32(p.bytes, 0);
      let m = this.#v4[p.length];
      let s = m?.get(key);
      if (s !== undefined || !create) return s ?? null;
      if (m === undefined) {
        m = new Map();
        this.#v4[p.length] = m;
        insertLength(this.#lens4, p.length);
      }
      s = new Slot(p, key, 0, 0, 0);
      m.set(key, s);
      return s;
    }
    const w0 = u32(p.bytes, 0);
    const w1 = u32(p.bytes, 4);
    const w2 = u32(p.bytes, 8);
    const w3 = u32(p.bytes, 12);
    const h = hash6(w0, w1, w2, w3);
    let m = this.#v6[p.length];
    const bucket = m?.get(h);
    const found = bucket?.find((s) => s.w0 === w0 && s.w1 === w1 && s.w2 === w2 && s.w3 === w3);
    if (found !== undefined || !create) return found ?? null;
    if (m === undefined) {
      m = new Map();
      this.#v6[p.length] = m;
      insertLength(this.#lens6, p.length);
    }
    const s = new Slot(p, w0, w1, w2, w3);
    if (bucket === undefined) m.set(h, [s]);
    else bucket.push(s);
    return s;
  }

  #deleteSlot(s: Slot): void {
    const len = s.prefix.length;
    if (s.prefix.family === 4) {
      const m = this.#v4[len]!;
      m.delete(s.w0);
      if (m.size === 0) {
        this.#v4[len] = undefined;
        this.#lens4.splice(this.#lens4.indexOf(len), 1);
      }
      return;
    }
    const m = this.#v6[len]!;
    const h = hash6(s.w0, s.w1, s.w2, s.w3);
    const bucket = m.get(h)!;
    bucket.splice(bucket.indexOf(s), 1);
    if (bucket.length === 0) m.delete(h);
    if (m.size === 0) {
      this.#v6[len] = undefined;
      this.#lens6.splice(this.#lens6.indexOf(len), 1);
    }
  }
}
