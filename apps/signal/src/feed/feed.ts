import type { FeedEvent, FeedEventInput } from '@rtcmesh/protocol';

export type FeedListener = (e: FeedEvent) => void;

/**
 * Live event feed for the console: numbers events, keeps the last `capacity` in a ring (for a console
 * that reconnects with Last-Event-ID) and fans them out to subscribers. A slow subscriber is the
 * subscriber's problem: the SSE writer drops it when its buffer grows (see api/events.ts).
 */
export class Feed {
  private seq = 0;
  private readonly ring: FeedEvent[] = [];
  private readonly sizes: number[] = [];
  private bytes = 0;
  private readonly listeners = new Set<FeedListener>();

  /**
   * @param capacity events kept for replay
   * @param maxBytes estimated size kept for replay: telemetry reports can be large (hundreds of links),
   *   so the ring is bounded by size too, oldest first. Found by fuzzing: 1000 maximal reports from one
   *   node grew the heap by 120 MB before this bound.
   */
  constructor(
    private readonly capacity = 1000,
    private readonly maxBytes = 8 * 1024 * 1024,
  ) {}

  publish(input: FeedEventInput): FeedEvent {
    const e = { ...input, seq: ++this.seq, at: Date.now() } as FeedEvent;
    const size = estimateSize(e);
    this.ring.push(e);
    this.sizes.push(size);
    this.bytes += size;
    while (this.ring.length > 1 && (this.ring.length > this.capacity || this.bytes > this.maxBytes)) {
      this.ring.shift();
      this.bytes -= this.sizes.shift()!;
    }
    for (const l of this.listeners) l(e);
    return e;
  }

  /** Events after `seq` still in the ring. */
  since(seq: number): FeedEvent[] {
    return this.ring.filter((e) => e.seq > seq);
  }

  recent(limit: number): FeedEvent[] {
    return this.ring.slice(-limit);
  }

  subscribe(l: FeedListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

/** A cheap upper estimate of an event's memory (no serialisation on the publish path). */
function estimateSize(e: FeedEvent): number {
  return e.kind === 'telemetry' ? 512 + 320 * e.links.length : 2048;
}
