import {
  type CandidateAddressFilter,
  type LinkStats,
  PeerLink,
  type PingResult,
  type TransportPreference,
} from '@rtcmesh/peer';
import type { IceServer, PeerInfo, SignalData } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { EarlySignals } from './early-signals.js';
import type { LinkAuth } from './link-auth.js';

/** What happened to a peer's link (the agent forwards, counts and reports it). */
export interface LinkEvent {
  kind: 'link-up' | 'link-down' | 'path-change' | 'link-refused';
  message: string;
}

export interface PeerLinksOptions {
  selfId: string;
  logger: Logger;
  /** Relays a link signal to a peer through the signaling server; false if the server is unreachable. */
  sendSignal: (to: string, data: SignalData) => boolean;
  /** Called with every frame a peer sends on its packet channel. */
  onPacket: (peerId: string, frame: Buffer) => void;
  onLinkEvent?: (peerId: string, event: LinkEvent) => void;
  /** Signs our descriptions and verifies the peers' (DTLS fingerprints bound to node keys). */
  linkAuth: LinkAuth;
  /**
   * Extra admission check for a peer (locked networks: its node key must carry an operator
   * signature). Returns why the peer is refused, or null to admit it.
   */
  admitPeer?: (peer: PeerInfo) => string | null;
  candidateFilter: CandidateAddressFilter;
  /** An application message a peer sent over its link's control channel (validated by the consumer). */
  onLinkMessage?: (peerId: string, body: unknown) => void;
  /** Overrides for tests and the lab (timeouts). */
  linkTuning?: { connectTimeoutMs?: number; upgradeIntervalMs?: number; keepaliveIntervalMs?: number };
  /** WebRTC stack of every link (default werift). */
  transport?: TransportPreference;
}

export interface PeerView {
  info: PeerInfo;
  link: PeerLink | null;
  /** Why links to this peer are refused right now (bad fingerprint signature, unsigned key), if so. */
  refused: LinkRefusal | null;
}

export interface LinkRefusal {
  reason: string;
  /** Epoch ms of the latest refused signal. */
  at: number;
  /** Signals refused since the first one. */
  count: number;
  /** Refused for who the peer is (locked network), not for a bad description. */
  admission: boolean;
}

/**
 * Every peer of the network and the one PeerLink to each. A link is created for every online peer
 * (both sides create theirs; perfect negotiation inside PeerLink sorts out who offers) and torn down
 * only when the peer is removed: a peer that merely lost its signaling session keeps its link, because
 * the data plane does not depend on the control plane.
 */
export class PeerLinks {
  private readonly peers = new Map<string, PeerInfo>();
  private readonly links = new Map<string, PeerLink>();
  private readonly refusals = new Map<string, LinkRefusal>();
  /**
   * Signals of peers refused only for admission (not signed by a lock key yet), kept briefly: such a
   * peer offers the moment it hears it is admitted, often just before we hear it. Dropping that offer
   * cost a 10 s connect timeout when we were the polite side: we then offered too, and the peer kept
   * its own (unseen) offer in glare. Replayed, verified as any signal, once the peer is admitted.
   */
  private readonly heldWhileRefused = new EarlySignals();
  private iceServers: IceServer[] = [];
  private closed = false;

  constructor(private readonly opts: PeerLinksOptions) {}

  setIceServers(servers: IceServer[]): void {
    // New credentials apply to links created or regenerated from now on.
    this.iceServers = servers;
  }

  /** Full peer list from a `welcome`: add, update, and forget peers that are gone from the server. */
  sync(peers: PeerInfo[]): { added: PeerInfo[]; removed: string[] } {
    const incoming = new Map(peers.filter((p) => p.nodeId !== this.opts.selfId).map((p) => [p.nodeId, p]));
    const removed: string[] = [];
    for (const id of this.peers.keys()) {
      if (!incoming.has(id)) {
        removed.push(id);
        this.remove(id, 'peer no longer in the network');
      }
    }
    const added: PeerInfo[] = [];
    for (const p of incoming.values()) {
      if (!this.peers.has(p.nodeId)) added.push(p);
      this.upsert(p);
    }
    return { added, removed };
  }

  upsert(peer: PeerInfo): void {
    if (this.closed || peer.nodeId === this.opts.selfId) return;
    const previous = this.peers.get(peer.nodeId);
    this.peers.set(peer.nodeId, peer);
    const refusal = this.opts.admitPeer?.(peer) ?? null;
    if (refusal) {
      this.refuse(peer.nodeId, refusal, true);
      this.closeLink(peer.nodeId, refusal);
      return;
    }
    // Admitted now (its key got signed), or a new node key (rekey): the next description is judged afresh.
    const prev = this.refusals.get(peer.nodeId);
    if (prev && (prev.admission || previous?.publicKey !== peer.publicKey)) this.refusals.delete(peer.nodeId);
    // Its offer sent while we still refused it goes in before we would offer ourselves.
    for (const held of this.heldWhileRefused.take((id) => id === peer.nodeId))
      this.handleSignal(held.from, held.data);
    if (peer.online) this.ensureLink(peer.nodeId).start();
  }

  markOffline(nodeId: string, lastSeen: number): void {
    const p = this.peers.get(nodeId);
    if (p) this.peers.set(nodeId, { ...p, online: false, lastSeen });
  }

  remove(nodeId: string, reason: string): void {
    // Forgetting the peer forgets its key: signals signed by it are refused from now on.
    this.peers.delete(nodeId);
    this.refusals.delete(nodeId);
    this.heldWhileRefused.take((id) => id === nodeId);
    this.closeLink(nodeId, reason);
  }

  private closeLink(nodeId: string, reason: string): void {
    const link = this.links.get(nodeId);
    if (link) {
      this.links.delete(nodeId);
      void link.close(reason);
    }
  }

  /** A relayed signal from a peer. Signals from unknown peers are ignored (the server only relays within the network). */
  handleSignal(from: string, data: SignalData): void {
    const peer = this.peers.get(from);
    if (this.closed || !peer) {
      this.opts.logger.debug({ from }, 'signal from unknown peer ignored');
      return;
    }
    // Admission was judged when the peer's info last arrived (upsert): a refused peer stays refused
    // until new info (a signature, a new key, new lock keys) admits it.
    const refusal = this.refusals.get(from);
    if (refusal?.admission) {
      this.heldWhileRefused.hold(from, data);
      this.refuse(from, refusal.reason, true);
      return;
    }
    const auth = this.opts.linkAuth.verify(from, peer.publicKey, data);
    if (!auth.ok) {
      // Never hand the description to the link: the DTLS handshake would trust its fingerprint.
      this.refuse(from, auth.reason);
      return;
    }
    if (data.kind === 'description') this.refusals.delete(from);
    this.ensureLink(from).handleSignal(data);
  }

  /** Records (and logs once per reason) that a peer's link was refused. */
  private refuse(peerId: string, reason: string, admission = false): void {
    const now = Date.now();
    const prev = this.refusals.get(peerId);
    if (prev && prev.reason === reason) {
      prev.at = now;
      prev.count++;
      return;
    }
    this.refusals.set(peerId, { reason, at: now, count: 1, admission });
    this.opts.logger.warn({ peer: peerId, reason }, 'link refused');
    this.opts.onLinkEvent?.(peerId, {
      kind: 'link-refused',
      message: `link to ${this.name(peerId)} refused: ${reason}`,
    });
  }

  get(nodeId: string): PeerView | undefined {
    const info = this.peers.get(nodeId);
    return info ? this.view(info) : undefined;
  }

  list(): PeerView[] {
    return [...this.peers.values()].map((info) => this.view(info));
  }

  private view(info: PeerInfo): PeerView {
    return {
      info,
      link: this.links.get(info.nodeId) ?? null,
      refused: this.refusals.get(info.nodeId) ?? null,
    };
  }

  /** Finds a peer by node id, name or overlay address. */
  find(query: string): PeerView | undefined {
    const byId = this.get(query);
    if (byId) return byId;
    for (const info of this.peers.values()) {
      if (
        info.name === query ||
        info.addresses.some((a) => a === query || a.slice(0, a.indexOf('/')) === query)
      ) {
        return this.view(info);
      }
    }
    return undefined;
  }

  /** The server said a signal to this peer was not delivered (see PeerLink.signalUndelivered). */
  signalUndelivered(peerId: string): void {
    this.links.get(peerId)?.signalUndelivered();
  }

  sendPacket(peerId: string, frame: Buffer): boolean {
    const link = this.links.get(peerId);
    return link ? link.sendPacket(frame) : false;
  }

  /** Sends an application message over the peer's link; false when the link is not up. */
  sendLinkMessage(peerId: string, body: unknown): boolean {
    return this.links.get(peerId)?.sendControl(body) ?? false;
  }

  ping(peerId: string): Promise<PingResult> {
    const link = this.links.get(peerId);
    if (!link) return Promise.reject(new Error('no link to this peer'));
    return link.ping();
  }

  stats(): Map<string, LinkStats> {
    return new Map([...this.links].map(([id, l]) => [id, l.stats()]));
  }

  async close(reason: string): Promise<void> {
    this.closed = true;
    const links = [...this.links.values()];
    this.links.clear();
    await Promise.allSettled(links.map((l) => l.close(reason)));
  }

  private ensureLink(peerId: string): PeerLink {
    const existing = this.links.get(peerId);
    if (existing && existing.currentState !== 'closed') return existing;
    const log = this.opts.logger;
    const link = new PeerLink({
      localId: this.opts.selfId,
      remoteId: peerId,
      iceServers: this.iceServers,
      sendSignal: (signal) => this.opts.sendSignal(peerId, this.opts.linkAuth.sign(peerId, signal)),
      logger: log,
      candidateAddresses: this.opts.candidateFilter,
      ...this.opts.linkTuning,
      ...(this.opts.transport ? { transport: this.opts.transport } : {}),
    });
    link.onPacket((frame) => this.opts.onPacket(peerId, frame));
    link.onControl((body) => this.opts.onLinkMessage?.(peerId, body));
    link.onState((state, previous) => {
      log.info({ peer: peerId, state, previous }, 'link state');
      if (state === 'connected')
        this.opts.onLinkEvent?.(peerId, { kind: 'link-up', message: `link to ${this.name(peerId)} up` });
      if (previous === 'connected')
        this.opts.onLinkEvent?.(peerId, {
          kind: 'link-down',
          message: `link to ${this.name(peerId)} ${state}`,
        });
    });
    link.onPath((path) => {
      if (!path) return;
      log.info({ peer: peerId, ...path }, 'link path');
      this.opts.onLinkEvent?.(peerId, {
        kind: 'path-change',
        message: `link to ${this.name(peerId)} is ${path.path} (${path.localCandidateType}/${path.remoteCandidateType} ${path.remoteAddress})`,
      });
    });
    link.onClose((reason) => {
      if (this.links.get(peerId) === link) this.links.delete(peerId);
      log.info({ peer: peerId, reason }, 'link closed');
      // The remote side said bye (it shut down or restarted); a peer still online gets a fresh link.
      const info = this.peers.get(peerId);
      if (!this.closed && info?.online)
        setTimeout(() => this.peers.has(peerId) && this.upsert(this.peers.get(peerId)!), 1000).unref();
    });
    this.links.set(peerId, link);
    return link;
  }

  private name(peerId: string): string {
    return this.peers.get(peerId)?.name ?? peerId;
  }
}
