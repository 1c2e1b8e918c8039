import { isIP } from 'node:net';
import type { DirectHint } from './direct-hint.js';

const MAX_ENDPOINTS_PER_PEER = 8;

/** Where a peer may be reached: a host and port, and when we last had reason to believe it. */
export interface DirectEndpoint {
  host: string;
  port: number;
  at: number;
}

/**
 * Where each peer may be reached directly: the hint the network map (or a link) gave, and the
 * addresses the peer's datagrams actually came from. At most MAX_ENDPOINTS_PER_PEER of each.
 */
export class DirectAddressBook {
  private readonly endpoints = new Map<string, DirectEndpoint[]>();
  private readonly hints = new Map<string, DirectHint>();

  /** What the network map tells about a peer: its hosts and port; replaces the previous hint. */
  setHint(peerId: string, hint: DirectHint): void {
    const hosts = [...new Set(hint.hosts.filter((h) => isIP(h) !== 0))].slice(0, MAX_ENDPOINTS_PER_PEER);
    this.hints.set(peerId, { port: hint.port, hosts });
  }

  /** Adds hosts to a peer's hint (a link's remote address); the port stays. */
  addHintHosts(peerId: string, hosts: readonly string[], defaultPort: number): void {
    const h = this.hints.get(peerId) ?? { port: defaultPort, hosts: [] };
    this.setHint(peerId, { port: h.port, hosts: [...hosts, ...h.hosts] });
  }

  hint(peerId: string): DirectHint | undefined {
    const h = this.hints.get(peerId);
    if (!h) return undefined;
    // Where the peer actually answered from first: that one got through its NAT.
    const learned = (this.endpoints.get(peerId) ?? []).map((e) => e.host);
    return { port: h.port, hosts: [...new Set([...learned, ...h.hosts])].slice(0, MAX_ENDPOINTS_PER_PEER) };
  }

  /** Every peer's hint, for the network map cache. */
  allHints(): Map<string, DirectHint> {
    const out = new Map<string, DirectHint>();
    for (const id of new Set([...this.hints.keys(), ...this.endpoints.keys()])) {
      const h = this.hint(id);
      if (h) out.set(id, h);
    }
    return out;
  }

  /** Where to send to a peer: where it was seen (latest first), then its hint's hosts. */
  targets(peerId: string): DirectEndpoint[] {
    const out = new Map<string, DirectEndpoint>();
    for (const e of this.endpoints.get(peerId) ?? []) out.set(`${e.host}|${e.port}`, e);
    const h = this.hints.get(peerId);
    for (const host of h?.hosts ?? []) {
      const key = `${host}|${h!.port}`;
      if (!out.has(key)) out.set(key, { host, port: h!.port, at: 0 });
    }
    return [...out.values()].slice(0, MAX_ENDPOINTS_PER_PEER * 2);
  }

  /** A datagram of the peer's came from this address (an IPv4-mapped one is kept as IPv4). */
  learn(peerId: string, from: { address: string; port: number }, now: number): void {
    const host = from.address.startsWith('::ffff:') ? from.address.slice(7) : from.address;
    const list = (this.endpoints.get(peerId) ?? []).filter((e) => !(e.host === host && e.port === from.port));
    list.unshift({ host, port: from.port, at: now });
    this.endpoints.set(peerId, list.slice(0, MAX_ENDPOINTS_PER_PEER));
  }

  forget(peerId: string): void {
    this.hints.delete(peerId);
    this.endpoints.delete(peerId);
  }
}
