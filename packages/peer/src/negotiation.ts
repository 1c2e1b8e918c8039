import type { LinkConnection, PathInfo } from './link-connection.js';

/** Offers crossing within this window are glare; a later remote offer means ours was lost. */
export const GLARE_WINDOW_MS = 2_000;

/** Ended generation ids remembered (a late ICE-restart offer for one must not look like a new generation). */
const ENDED_GENERATIONS_KEPT = 32;

/** A new generation this side is negotiating (see PeerLink: generations). */
export interface PendingGeneration {
  conn: LinkConnection;
  /** This side offered it (false: it answers the peer's offer). */
  own: boolean;
  /** A direct-path probe while relayed: its failure costs nothing. */
  probe: boolean;
  timer: NodeJS.Timeout;
  startedAt: number;
  /** The signaling server said a signal of it never reached the peer (it was offline then). */
  undelivered?: boolean;
}

/**
 * Both sides offered a new generation: does ours stand? Only for the impolite side, only in real glare
 * (both offered within a round trip or two: a later remote offer means the peer never saw ours, and
 * insisting would cost a connect timeout), and never for an offer the peer cannot have received (it
 * restarted meanwhile and offers without it). Otherwise the remote offer is adopted.
 */
export function keepsOwnOffer(pending: PendingGeneration, polite: boolean, nowMs: number): boolean {
  const fresh = nowMs - pending.startedAt < GLARE_WINDOW_MS;
  return pending.own && !polite && fresh && !pending.undelivered;
}

/** Generation ids that ended, the newest 32: late signals for them never start a new generation. */
export class EndedGenerations {
  readonly #ids = new Set<string>();

  add(gen: string): void {
    this.#ids.add(gen);
    if (this.#ids.size > ENDED_GENERATIONS_KEPT) {
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
  }

  has(gen: string): boolean {
    return this.#ids.has(gen);
  }
}

/** Same nominated pair (the path listeners hear only real changes). */
export function samePath(a: PathInfo | null, b: PathInfo | null): boolean {
  return (
    a === b ||
    (a !== null &&
      b !== null &&
      a.path === b.path &&
      a.remoteAddress === b.remoteAddress &&
      a.localCandidateType === b.localCandidateType &&
      a.remoteCandidateType === b.remoteCandidateType)
  );
}
