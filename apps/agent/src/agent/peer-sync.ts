import type { PeerInfo } from '@rtcmesh/protocol';

/** The peer set itself: the network map's peers and their links (links/peer-links.ts owns both). */
export interface PeerSet {
  sync(peers: PeerInfo[]): { removed: string[] };
  upsert(peer: PeerInfo): void;
  remove(nodeId: string, reason: string): void;
  markOffline(nodeId: string, lastSeen: number): void;
  list(): readonly { info: PeerInfo; link: { readonly currentState: string } | null }[];
  get(nodeId: string): { info: PeerInfo; link: { readonly currentState: string } | null } | undefined;
}

/** Who follows the peer set, each given only what it needs. */
export interface PeerObservers {
  /** Direct signaling's addresses of the peers (links/direct-links.ts). */
  direct?: { notePeer(p: PeerInfo): void; forget(peerId: string): void };
  /** The forwarder (data-plane.ts): a peer's routes or bindings, and whether its link is up. */
  forwarder?: { updatePeer(p: PeerInfo, linkUp: boolean): void; removePeer(peerId: string): void };
  /** L3: which of a peer's routes this node accepts, and the kernel's routes toward the overlay. */
  routes?: { forwardable(p: PeerInfo): PeerInfo; syncKernel(peers: () => PeerInfo[]): void };
  /** Other mobility sites' claims (agent-mobility.ts), judged before the kernel routes follow. */
  mobility?: { peersChanged(peers: readonly PeerInfo[]): void };
  /** A peer's presence before the links see it (signal-router.ts). */
  presence?: (p: PeerInfo) => void;
  /** After the set changed: signals that arrived before their peer was known (signal-router.ts). */
  known?: () => void;
}

/**
 * The one way the agent changes its peer set. The set lives in PeerLinks (peers and their links);
 * every change goes through here so that direct signaling, the forwarder, the accepted routes and the
 * kernel see the same peers in the same order: a welcome replaces the set, a peer update or removal
 * changes one peer. Observers that do not exist yet (before the device is open) are skipped; setup
 * calls forwardAll() once they do.
 */
export class PeerSync {
  readonly #set: () => PeerSet | undefined;
  readonly #observers: () => PeerObservers;

  constructor(set: () => PeerSet | undefined, observers: () => PeerObservers) {
    this.#set = set;
    this.#observers = observers;
  }

  /** A welcome's whole list: peers gone from it are forgotten everywhere, the others updated. */
  replaceAll(peers: PeerInfo[], selfId: string): void {
    const o = this.#observers();
    const removed = this.#set()?.sync(peers).removed ?? [];
    for (const id of removed) o.forwarder?.removePeer(id);
    for (const p of peers) if (p.nodeId !== selfId) this.#forward(p, o);
    for (const id of removed) o.direct?.forget(id);
    for (const p of peers) o.direct?.notePeer(p);
    this.syncKernel();
    o.known?.();
  }

  /** A peer joined or changed (its presence, addresses, routes, key). */
  upsert(p: PeerInfo): void {
    const o = this.#observers();
    o.presence?.(p);
    this.#set()?.upsert(p);
    o.direct?.notePeer(p);
    this.#forward(p, o);
    this.syncKernel();
    o.known?.();
  }

  markOffline(nodeId: string, lastSeen: number): void {
    this.#set()?.markOffline(nodeId, lastSeen);
  }

  /** A peer removed from the network: its link closes, every observer forgets it. */
  remove(nodeId: string, reason: string): void {
    const o = this.#observers();
    this.#set()?.remove(nodeId, reason);
    o.direct?.forget(nodeId);
    o.forwarder?.removePeer(nodeId);
    this.syncKernel();
  }

  /** Every peer into the forwarder again (the device just opened, or what this node accepts changed). */
  forwardAll(): void {
    const o = this.#observers();
    for (const { info } of this.#set()?.list() ?? []) this.#forward(info, o);
  }

  /** forwardAll(), then the kernel routes. */
  refresh(): void {
    this.forwardAll();
    this.syncKernel();
  }

  /** L3: the peers' accepted prefixes into the kernel (other sites' mobility claims first). */
  syncKernel(): void {
    if (!this.#set()) return;
    const o = this.#observers();
    o.mobility?.peersChanged(this.infos().map((p) => this.forwardable(p)));
    o.routes?.syncKernel(() => this.infos());
  }

  /** The peers as the network map has them. */
  infos(): PeerInfo[] {
    return (this.#set()?.list() ?? []).map((e) => e.info);
  }

  /** A peer as the forwarder should see it: its accepted routes only. */
  forwardable(p: PeerInfo): PeerInfo {
    return this.#observers().routes?.forwardable(p) ?? p;
  }

  /** Up only once its link is (link events keep that current). */
  #forward(p: PeerInfo, o: PeerObservers): void {
    const linkUp = this.#set()?.get(p.nodeId)?.link?.currentState === 'connected';
    o.forwarder?.updatePeer(this.forwardable(p), linkUp);
  }
}
