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
  private readonly listeners = new Set<FeedListener>();

  constructor(private readonly capacity = 1000) {}

  publish(input: FeedEventInput): FeedEvent {
    const e = { ...input, seq: ++this.seq, at: Date.now() } as FeedEvent;
    this.ring.push(e);
    if (this.ring.length > this.capacity) this.ring.shift();
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
