import type { ClientMessage, PeerInfo, SignalData } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { EarlySignals } from '../links/early-signals.js';

/** Request id of relayed signals: "s:" + the peer's node id (comes back on a peer-offline error). */
const SIGNAL_REF = 's:';

/** Request ids are at most 64 characters; a node id that long goes without one. */
function signalRef(to: string): { id?: string } {
  const id = `${SIGNAL_REF}${to}`;
  return id.length <= 64 ? { id } : {};
}

/** What the router needs of the control session (control/control-client.ts). */
export interface SignalServer {
  readonly connected: boolean;
  send(message: ClientMessage): boolean;
}

/** What the router needs of the peer links (links/peer-links.ts). */
export interface SignalLinks {
  get(peerId: string): { info: PeerInfo } | undefined;
  handleSignal(from: string, data: SignalData): void;
  signalUndelivered(peerId: string): void;
}

/** Signaling straight between agents while the server is away (links/direct-links.ts). */
export interface DirectSignals {
  send(to: string, data: SignalData): boolean;
  mayHaveLost(peerId: string): boolean;
}

export interface SignalRouterOptions {
  server: SignalServer;
  /** Absent until the agent's first configuration. */
  links: () => SignalLinks | undefined;
  direct: () => DirectSignals | undefined;
  /** Sees every signal a peer sends before its link does (the exit node keeps candidates outside). */
  observe?: (from: string, data: SignalData) => void;
  logger: Logger;
  /** Clock for the early signals' expiry (tests). */
  now?: () => number;
}

/**
 * The path of link signals (offers, answers, candidates) between this agent and its peers: through
 * the server when it is there and the peer is online with it, directly (signed UDP) otherwise. It
 * remembers the peers signaled while the server could not carry it to them: when such a peer comes
 * back, its link learns that our offer may never have arrived, so it does not win glare over the
 * returning peer's own offer (PeerLink.signalUndelivered).
 */
export class SignalRouter {
  readonly #o: SignalRouterOptions;
  /** Peers we signaled while the server could not carry it to them. */
  readonly #withoutServer = new Set<string>();
  /** Signals from peers not known yet (early-signals.ts), replayed by peersKnown(). */
  readonly #early: EarlySignals;

  constructor(options: SignalRouterOptions) {
    this.#o = options;
    this.#early = new EarlySignals(options.now);
  }

  /** Sends a signal to a peer; false when neither the server nor a direct path took it. */
  send(to: string, data: SignalData): boolean {
    const peer = this.#o.links()?.get(to)?.info;
    if (this.#o.server.connected && peer?.online !== false) {
      // The id comes back on a `peer-offline` error: that peer's link learns its offer was lost.
      if (this.#o.server.send({ type: 'signal', to, data, ...signalRef(to) })) return true;
    }
    this.#withoutServer.add(to);
    return this.#o.direct()?.send(to, data) ?? false;
  }

  /** A signal from a peer, relayed by the server or sent directly. */
  receive(from: string, data: SignalData): void {
    this.#o.observe?.(from, data);
    const links = this.#o.links();
    if (!links?.get(from)) {
      // Before our welcome (or the update naming this peer) was applied: kept for peersKnown().
      if (!this.#early.hold(from, data)) this.#o.logger.debug({ from }, 'early signal dropped (limits)');
      return;
    }
    links.handleSignal(from, data);
  }

  /** The peer set changed: signals that came before their peer was known go to its link now. */
  peersKnown(): void {
    if (this.#early.size === 0) return;
    const links = this.#o.links();
    if (!links) return;
    const ready = this.#early.take((id) => links.get(id) !== undefined);
    if (ready.length > 0) this.#o.logger.debug({ signals: ready.length }, 'early signals replayed');
    for (const { from, data } of ready) links.handleSignal(from, data);
  }

  /**
   * A server error's request id: true when it was one of our signals to a peer the server found
   * offline (that link is told; the caller has nothing more to say about it).
   */
  undelivered(ref: string | undefined): boolean {
    if (!ref?.startsWith(SIGNAL_REF)) return false;
    const peerId = ref.slice(SIGNAL_REF.length);
    this.#o.links()?.signalUndelivered(peerId);
    this.#o.logger.debug({ peer: peerId }, 'signal not delivered: peer offline');
    return true;
  }

  /**
   * A peer's new presence, before the links see it: a peer that comes back online after we signaled it
   * without the server may never have heard us.
   */
  presence(p: PeerInfo): void {
    const wasOffline = this.#o.links()?.get(p.nodeId)?.info.online === false;
    if (!p.online || !wasOffline || !this.#withoutServer.delete(p.nodeId)) return;
    if (this.#o.direct()?.mayHaveLost(p.nodeId) ?? true) this.#o.links()?.signalUndelivered(p.nodeId);
  }
}
