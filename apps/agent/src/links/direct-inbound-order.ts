import type { SignalData } from '@rtcmesh/protocol';

/**
 * Signals are delivered in the order they were sent (a link's candidates mean nothing before its
 * description, and a retransmitted description can arrive after the candidates that followed it).
 * A gap is waited for this long (the sender retransmits for ~7.75 s), then skipped.
 */
const REORDER_GAP_MS = 4000;
const MAX_HELD_PER_PEER = 64;

/** Signals from one incarnation (boot) of a peer, released in order (null: dropped, skipped in order). */
interface PeerOrder {
  boot: string;
  next: number;
  held: Map<number, SignalData | null>;
  gapTimer: NodeJS.Timeout | undefined;
}

export interface InboundOrderOptions {
  /** A signal whose turn came. */
  deliver: (from: string, data: SignalData) => void;
  drop: (reason: 'gap-skipped') => void;
}

/**
 * Puts each peer's signals back in the order it sent them (its numbers `n`, per sender boot): held
 * behind a gap for REORDER_GAP_MS at most, MAX_HELD_PER_PEER at most.
 */
export class InboundOrder {
  private readonly peers = new Map<string, PeerOrder>();

  constructor(private readonly o: InboundOrderOptions) {}

  /**
   * Signal `n` of the sender's boot `boot`, whose lowest still retransmitted is `first`; `data` null:
   * one not to deliver, skipped in its turn.
   */
  accept(
    from: string,
    boot: string,
    { n, first }: { n: number; first: number },
    data: SignalData | null,
  ): void {
    let o = this.peers.get(from);
    if (!o || o.boot !== boot) {
      // A sender we have not heard from in this incarnation: its signals below `first` are acked
      // (by whoever we were before) or abandoned.
      if (o) clearTimeout(o.gapTimer);
      o = { boot, next: first, held: new Map(), gapTimer: undefined };
      this.peers.set(from, o);
    }
    if (n < o.next) return; // delivered already (a skipped gap's straggler)
    o.held.set(n, data);
    this.release(from, o);
    if (o.held.size > MAX_HELD_PER_PEER) this.skipGap(from, o);
    else this.armGap(from, o);
  }

  forget(peerId: string): void {
    clearTimeout(this.peers.get(peerId)?.gapTimer);
    this.peers.delete(peerId);
  }

  close(): void {
    for (const o of this.peers.values()) clearTimeout(o.gapTimer);
    this.peers.clear();
  }

  /** Signals wait behind a gap: skip it if it is still there in REORDER_GAP_MS. */
  private armGap(from: string, o: PeerOrder): void {
    if (o.held.size === 0 || o.gapTimer) return;
    o.gapTimer = setTimeout(() => {
      o.gapTimer = undefined;
      if (this.peers.get(from) === o) this.skipGap(from, o);
    }, REORDER_GAP_MS);
    o.gapTimer.unref();
  }

  private release(from: string, o: PeerOrder): void {
    while (o.held.has(o.next)) {
      const data = o.held.get(o.next);
      o.held.delete(o.next);
      o.next++;
      if (data) this.o.deliver(from, data);
    }
    if (o.held.size === 0 && o.gapTimer) {
      clearTimeout(o.gapTimer);
      o.gapTimer = undefined;
    }
  }

  /** The missing signal is not coming (the sender gave up): go on from the next one held. */
  private skipGap(from: string, o: PeerOrder): void {
    this.o.drop('gap-skipped');
    o.next = Math.min(...o.held.keys());
    this.release(from, o);
    this.armGap(from, o);
  }
}
