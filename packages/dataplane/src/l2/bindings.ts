import { ipv4ToString, ipv6ToString, parseIpv4, parseIpv6 } from '../addr/ip.js';
import { type MacNumber, macToString, parseMac } from '../addr/mac.js';
import type { PeerId } from '../ports.js';

/** An IP<->MAC binding as the control plane carries it (addresses in text form). */
export interface Binding {
  readonly mac: string;
  /** IPv4 and IPv6 addresses of this MAC. May be empty (a MAC with no known address yet). */
  readonly ips: readonly string[];
  /** MAC mobility sequence number: the advertisement with the highest one wins. */
  readonly seq: number;
}

/** Addresses kept per MAC; beyond this the oldest is forgotten (IPv6 hosts have a few each). */
export const MAX_IPS_PER_MAC = 16;

export class AddressSet {
  readonly v4: number[] = [];
  /** IPv6 addresses as 32-character hex strings (the Map key form). */
  readonly v6: string[] = [];

  toStrings(): string[] {
    return [...this.v4.map(ipv4ToString), ...this.v6.map((h) => ipv6ToString(Buffer.from(h, 'hex')))];
  }
}

export class LocalBinding {
  readonly addrs = new AddressSet();
  constructor(public seq: number) {}
}

export interface RemoteOwner {
  readonly mac: MacNumber;
  readonly peer: PeerId;
}

interface RemoteAdvert {
  readonly seq: number;
  readonly addrs: AddressSet;
}

/** What setRemote() changed for one MAC: the winning advertisement now, or null when none is left. */
export interface RemoteWinner {
  readonly mac: MacNumber;
  readonly winner: { readonly peer: PeerId; readonly seq: number } | null;
}

/** Result of validating a peer's binding list. */
export interface SetRemoteResult {
  readonly accepted: number;
  /** Entries with a bad MAC, a bad address, a bad seq, or beyond the per-peer limit. */
  readonly rejected: number;
  readonly changed: RemoteWinner[];
}

function v6Key(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, 16).toString('hex');
}

/**
 * IP<->MAC bindings: local ones (learned from the device, advertised by the agent) and remote ones
 * (other sites', from the control plane), with the indexes ARP/ND suppression needs.
 */
export class BindingStore {
  readonly local = new Map<MacNumber, LocalBinding>();
  readonly #localV4 = new Map<number, MacNumber>();
  readonly #localV6 = new Map<string, MacNumber>();
  readonly #byPeer = new Map<PeerId, Map<MacNumber, RemoteAdvert>>();
  readonly #byMac = new Map<MacNumber, Map<PeerId, RemoteAdvert>>();
  readonly #remoteV4 = new Map<number, RemoteOwner>();
  readonly #remoteV6 = new Map<string, RemoteOwner>();
  readonly #maxPerPeer: number;

  constructor(maxPerPeer = 16_384) {
    this.#maxPerPeer = maxPerPeer;
  }

  // ---- local ----

  /** Adds ip (IPv4 number) to the local binding of mac. Returns true when something changed. */
  addLocalV4(mac: MacNumber, ip: number, b: LocalBinding): boolean {
    const owner = this.#localV4.get(ip);
    if (owner === mac) return false;
    if (owner !== undefined) this.#removeLocalV4(owner, ip);
    const list = b.addrs.v4;
    if (list.length + b.addrs.v6.length >= MAX_IPS_PER_MAC && list.length > 0) {
      this.#localV4.delete(list.shift()!);
    }
    list.push(ip);
    this.#localV4.set(ip, mac);
    return true;
  }

  addLocalV6(mac: MacNumber, key: string, b: LocalBinding): boolean {
    const owner = this.#localV6.get(key);
    if (owner === mac) return false;
    if (owner !== undefined) this.#removeLocalV6(owner, key);
    const list = b.addrs.v6;
    if (list.length + b.addrs.v4.length >= MAX_IPS_PER_MAC && list.length > 0) {
      this.#localV6.delete(list.shift()!);
    }
    list.push(key);
    this.#localV6.set(key, mac);
    return true;
  }

  /** MAC whose previous owner lost an address to another MAC (so the caller can re-advertise it). */
  lastDisplaced: MacNumber | null = null;

  #removeLocalV4(owner: MacNumber, ip: number): void {
    const b = this.local.get(owner);
    if (b !== undefined) {
      const i = b.addrs.v4.indexOf(ip);
      if (i >= 0) b.addrs.v4.splice(i, 1);
      this.lastDisplaced = owner;
    }
    this.#localV4.delete(ip);
  }

  #removeLocalV6(owner: MacNumber, key: string): void {
    const b = this.local.get(owner);
    if (b !== undefined) {
      const i = b.addrs.v6.indexOf(key);
      if (i >= 0) b.addrs.v6.splice(i, 1);
      this.lastDisplaced = owner;
    }
    this.#localV6.delete(key);
  }

  removeLocal(mac: MacNumber): boolean {
    const b = this.local.get(mac);
    if (b === undefined) return false;
    for (const ip of b.addrs.v4) if (this.#localV4.get(ip) === mac) this.#localV4.delete(ip);
    for (const k of b.addrs.v6) if (this.#localV6.get(k) === mac) this.#localV6.delete(k);
    this.local.delete(mac);
    return true;
  }

  hasLocalV4(ip: number): boolean {
    return this.#localV4.has(ip);
  }

  hasLocalV6(key: string): boolean {
    return this.#localV6.has(key);
  }

  localBinding(mac: MacNumber): Binding | null {
    const b = this.local.get(mac);
    return b === undefined ? null : { mac: macToString(mac), ips: b.addrs.toStrings(), seq: b.seq };
  }

  // ---- remote ----

  remoteV4(ip: number): RemoteOwner | undefined {
    return this.#remoteV4.get(ip);
  }

  remoteV6(key: string): RemoteOwner | undefined {
    return this.#remoteV6.get(key);
  }

  /** Highest sequence number any peer advertises for mac, or -1. */
  highestRemoteSeq(mac: MacNumber): number {
    let best = -1;
    const ads = this.#byMac.get(mac);
    if (ads !== undefined) for (const a of ads.values()) if (a.seq > best) best = a.seq;
    return best;
  }

  /** The winning advertisement for mac: highest seq, then the smallest peer id (deterministic everywhere). */
  winner(mac: MacNumber): { peer: PeerId; seq: number } | null {
    const ads = this.#byMac.get(mac);
    if (ads === undefined) return null;
    let best: { peer: PeerId; seq: number } | null = null;
    for (const [peer, a] of ads) {
      if (best === null || a.seq > best.seq || (a.seq === best.seq && peer < best.peer))
        best = { peer, seq: a.seq };
    }
    return best;
  }

  /** Replaces everything `peer` advertises. Invalid entries are skipped and counted. */
  setRemote(peer: PeerId, bindings: readonly Binding[]): SetRemoteResult {
    const next = new Map<MacNumber, RemoteAdvert>();
    let rejected = 0;
    for (const b of bindings) {
      const mac = typeof b?.mac === 'string' ? parseMac(b.mac) : null;
      if (
        mac === null ||
        !Number.isSafeInteger(b.seq) ||
        b.seq < 0 ||
        !Array.isArray(b.ips) ||
        next.size >= this.#maxPerPeer ||
        (mac / 0x100_0000_0000) % 2 >= 1
      ) {
        rejected++;
        continue;
      }
      const addrs = new AddressSet();
      let bad = false;
      for (const ip of b.ips.slice(0, MAX_IPS_PER_MAC)) {
        if (typeof ip !== 'string') {
          bad = true;
          break;
        }
        const v4 = parseIpv4(ip);
        if (v4 !== null) {
          addrs.v4.push(v4);
          continue;
        }
        const v6 = parseIpv6(ip);
        if (v6 === null) {
          bad = true;
          break;
        }
        addrs.v6.push(v6Key(v6));
      }
      if (bad) {
        rejected++;
        continue;
      }
      next.set(mac, { seq: b.seq, addrs });
    }
    const old = this.#byPeer.get(peer);
    const affected = new Set<MacNumber>(next.keys());
    if (old !== undefined) {
      for (const [mac, a] of old) {
        affected.add(mac);
        this.#unindex(mac, peer, a);
        const ads = this.#byMac.get(mac);
        ads?.delete(peer);
        if (ads?.size === 0) this.#byMac.delete(mac);
      }
    }
    if (next.size > 0) this.#byPeer.set(peer, next);
    else this.#byPeer.delete(peer);
    for (const [mac, a] of next) {
      let ads = this.#byMac.get(mac);
      if (ads === undefined) {
        ads = new Map();
        this.#byMac.set(mac, ads);
      }
      ads.set(peer, a);
    }
    const changed: RemoteWinner[] = [];
    for (const mac of affected) {
      const w = this.winner(mac);
      if (w !== null) {
        const a = this.#byMac.get(mac)!.get(w.peer)!;
        for (const ip of a.addrs.v4) this.#remoteV4.set(ip, { mac, peer: w.peer });
        for (const k of a.addrs.v6) this.#remoteV6.set(k, { mac, peer: w.peer });
      }
      changed.push({ mac, winner: w });
    }
    return { accepted: next.size, rejected, changed };
  }

  /** Everything `peer` advertised, as bindings. */
  remoteOf(peer: PeerId): Binding[] {
    const m = this.#byPeer.get(peer);
    if (m === undefined) return [];
    return [...m].map(([mac, a]) => ({ mac: macToString(mac), ips: a.addrs.toStrings(), seq: a.seq }));
  }

  #unindex(mac: MacNumber, peer: PeerId, a: RemoteAdvert): void {
    for (const ip of a.addrs.v4) {
      const o = this.#remoteV4.get(ip);
      if (o?.mac === mac && o.peer === peer) this.#remoteV4.delete(ip);
    }
    for (const k of a.addrs.v6) {
      const o = this.#remoteV6.get(k);
      if (o?.mac === mac && o.peer === peer) this.#remoteV6.delete(k);
    }
  }
}

export { v6Key as ipv6Key };
