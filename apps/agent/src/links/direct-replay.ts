/**
 * Replay protection of direct signaling: a replayed datagram is refused by its timestamp
 * (MAX_CLOCK_SKEW_MS) and, inside that window, by its (sender, boot, seq) among the last SEEN_KEPT.
 */
export const MAX_CLOCK_SKEW_MS = 120_000;
export const SEEN_KEPT = 4096;

/** Who sent a datagram, in which incarnation, and its number there. */
export interface DatagramId {
  from: string;
  boot: string;
  seq: number;
}

export class ReplayGuard {
  private readonly seen = new Set<string>();

  /** Made too far from our clock to be told from a replay. */
  stale(ts: number, now: number): boolean {
    return Math.abs(now - ts) > MAX_CLOCK_SKEW_MS;
  }

  has(d: DatagramId): boolean {
    return this.seen.has(key(d));
  }

  /** Remembers a datagram; the oldest is forgotten beyond SEEN_KEPT. */
  remember(d: DatagramId): void {
    this.seen.add(key(d));
    if (this.seen.size > SEEN_KEPT) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}

function key(d: DatagramId): string {
  return `${d.from}|${d.boot}|${d.seq}`;
}
