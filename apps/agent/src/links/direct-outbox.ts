import type { SignalData } from '@rtcmesh/protocol';
import { type Body, MAX_DATAGRAM_BYTES } from './direct-wire.js';

/** Signals wait for an ack at most this long in all (then the link's own retry sends anew). */
const RETRANSMIT_DELAYS_MS = [250, 500, 1000, 2000, 4000];
/** Unacked signals per peer; beyond, the oldest is dropped. */
const MAX_PENDING_PER_PEER = 64;

interface PendingSignal {
  seq: number;
  n: number;
  at: number;
  data: SignalData;
  attempt: number;
  timer: NodeJS.Timeout;
}

export interface DirectOutboxOptions {
  now: () => number;
  /** The next envelope seq (shared with hellos and acks: unique per boot). */
  nextSeq: () => number;
  /** The signed datagram of a body to a peer, with this envelope seq. */
  encode: (to: string, seq: number, body: Body) => Buffer;
  /** Sends a datagram to every address the peer may be at. */
  transmit: (to: string, datagram: Buffer) => void;
  drop: (reason: string) => void;
  counters: { retransmits: number; gaveUp: number };
}

/**
 * The signals we sent each peer and wait to have acked: numbered per peer in the order they were
 * sent, retransmitted after RETRANSMIT_DELAYS_MS, given up on after the last.
 */
export class DirectOutbox {
  private readonly pending = new Map<string, PendingSignal[]>();
  /** Per peer: the number of our next signal to it. */
  private readonly outboundN = new Map<string, number>();
  /** Peers a signal was given up on (never acked); cleared by their next ack. */
  private readonly lost = new Set<string>();

  constructor(private readonly o: DirectOutboxOptions) {}

  /** Sends a signal, retransmitted until acked; false when its datagram would be too large. */
  send(to: string, data: SignalData): boolean {
    const n = this.outboundN.get(to) ?? 0;
    const p: PendingSignal = {
      seq: this.o.nextSeq(),
      n,
      at: this.o.now(),
      data,
      attempt: 0,
      timer: undefined as unknown as NodeJS.Timeout,
    };
    const queue = this.pending.get(to) ?? [];
    if (this.signalDatagram(to, p, queue).length > MAX_DATAGRAM_BYTES) {
      this.o.drop('oversize-out');
      return false;
    }
    this.outboundN.set(to, n + 1);
    if (queue.length >= MAX_PENDING_PER_PEER) {
      const oldest = queue.shift();
      if (oldest) clearTimeout(oldest.timer);
      this.o.drop('pending-full');
    }
    p.timer = this.retransmitTimer(to, p);
    queue.push(p);
    this.pending.set(to, queue);
    this.o.transmit(to, this.signalDatagram(to, p, queue));
    return true;
  }

  /** The peer acked envelope `seq`: true if that was a signal still waiting. */
  ack(from: string, seq: number): boolean {
    const removed = this.removePending(from, seq);
    this.lost.delete(from);
    return removed;
  }

  /** Whether a signal to the peer may not have arrived: one still unacked, or one given up on. */
  mayHaveLost(peerId: string): boolean {
    return (this.pending.get(peerId)?.length ?? 0) > 0 || this.lost.has(peerId);
  }

  /** The peer restarted: what we were still retransmitting was meant for its previous incarnation. */
  dropPending(to: string): void {
    for (const p of this.pending.get(to) ?? []) clearTimeout(p.timer);
    this.pending.delete(to);
  }

  forget(peerId: string): void {
    this.dropPending(peerId);
    this.outboundN.delete(peerId);
    this.lost.delete(peerId);
  }

  close(): void {
    for (const queue of this.pending.values()) for (const p of queue) clearTimeout(p.timer);
    this.pending.clear();
  }

  private retransmitTimer(to: string, p: PendingSignal): NodeJS.Timeout {
    const delay = RETRANSMIT_DELAYS_MS[p.attempt];
    const t = setTimeout(() => {
      if (delay === undefined || p.attempt >= RETRANSMIT_DELAYS_MS.length) return;
      p.attempt++;
      if (p.attempt >= RETRANSMIT_DELAYS_MS.length) {
        this.o.counters.gaveUp++;
        this.lost.add(to);
        this.removePending(to, p.seq);
        return;
      }
      this.o.counters.retransmits++;
      this.o.transmit(to, this.signalDatagram(to, p, this.pending.get(to) ?? []));
      p.timer = this.retransmitTimer(to, p);
    }, delay ?? 0);
    t.unref();
    return t;
  }

  /**
   * Encoded at each transmission: `first` moves as earlier signals are acked. The envelope's seq stays
   * the signal's, so the receiver still sees a retransmit as a duplicate.
   */
  private signalDatagram(to: string, p: PendingSignal, queue: readonly PendingSignal[]): Buffer {
    const first = Math.min(p.n, ...queue.map((q) => q.n));
    return this.o.encode(to, p.seq, { t: 'signal', n: p.n, first, at: p.at, data: p.data });
  }

  private removePending(to: string, seq: number): boolean {
    const queue = this.pending.get(to);
    const i = queue?.findIndex((p) => p.seq === seq) ?? -1;
    if (!queue || i < 0) return false;
    clearTimeout(queue[i]!.timer);
    queue.splice(i, 1);
    if (queue.length === 0) this.pending.delete(to);
    return true;
  }
}
