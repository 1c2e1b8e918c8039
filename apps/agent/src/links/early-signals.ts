import type { SignalData } from '@rtcmesh/protocol';

/** How long a signal from a peer we do not know yet is kept: well under a connect timeout (10 s). */
export const EARLY_SIGNAL_TTL_MS = 5_000;
/** Signals kept per unknown peer (an offer and its first candidates); later ones are dropped. */
export const EARLY_SIGNALS_PER_PEER = 32;
/** Unknown peers kept at once; a signal from one more is dropped. */
export const EARLY_SIGNAL_PEERS = 64;

interface Held {
  firstAt: number;
  signals: SignalData[];
}

/**
 * Signals that arrive from a peer before this agent knows it. The server relays a peer's offer as
 * soon as that peer hears we joined, which can be before our own welcome (or the update naming that
 * peer) has been applied. Dropping it was costly: we then offer too, the peer keeps its own offer in
 * glare (we never saw it), and both wait out a whole connect timeout (10 s at every start of a two-node
 * mesh, for one ordering of the node ids). They are kept briefly and handed to the link once the peer
 * is known; nothing is judged here (the link's authentication runs on replay, with the peer's key).
 * Bounded: 64 peers × 32 signals, each at most 5 s; what does not fit is dropped, as before.
 */
export class EarlySignals {
  readonly #held = new Map<string, Held>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Keeps a signal; false when it was dropped (limits). */
  hold(from: string, data: SignalData): boolean {
    this.#expire();
    let h = this.#held.get(from);
    if (!h) {
      if (this.#held.size >= EARLY_SIGNAL_PEERS) return false;
      h = { firstAt: this.#now(), signals: [] };
      this.#held.set(from, h);
    }
    if (h.signals.length >= EARLY_SIGNALS_PER_PEER) return false;
    h.signals.push(data);
    return true;
  }

  /** The kept signals of the peers `known` now accepts, in arrival order, and forgets them. */
  take(known: (peerId: string) => boolean): { from: string; data: SignalData }[] {
    this.#expire();
    const out: { from: string; data: SignalData }[] = [];
    for (const [from, h] of this.#held) {
      if (!known(from)) continue;
      this.#held.delete(from);
      for (const data of h.signals) out.push({ from, data });
    }
    return out;
  }

  get size(): number {
    return this.#held.size;
  }

  #expire(): void {
    const cutoff = this.#now() - EARLY_SIGNAL_TTL_MS;
    for (const [from, h] of this.#held) if (h.firstAt < cutoff) this.#held.delete(from);
  }
}
