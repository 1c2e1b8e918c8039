import type { Logger } from 'pino';
import type { Store } from './index.js';

type Seen = { lastSeen: number; endpoint: string | null; agentVersion?: string };

/**
 * Coalesces `last_seen`/`endpoint` writes (every session start and end) into one transaction per
 * `delayMs`, at most `maxBatch` rows each. A mass disconnect (an instance dying, a network blip) then
 * costs a few transactions on one connection instead of one per node queued on the pool, and
 * presence never waits for the database. Bounded: one pending entry per node (a later write for the
 * same node replaces the earlier one). A failed batch is logged and dropped: last-seen is advisory.
 */
export class LastSeenWriter {
  private pending = new Map<string, Seen>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly delayMs = 100,
    private readonly maxBatch = 1000,
  ) {}

  record(nodeId: string, lastSeen: number, endpoint: string | null, agentVersion?: string): void {
    const prev = this.pending.get(nodeId);
    this.pending.delete(nodeId); // re-insert: the newest writes go last
    const v = agentVersion ?? prev?.agentVersion;
    this.pending.set(nodeId, { lastSeen, endpoint, ...(v === undefined ? {} : { agentVersion: v }) });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.flushing) return;
    this.timer = setTimeout(() => void this.flush(), this.delayMs);
    this.timer.unref();
  }

  /** Writes everything recorded so far (shutdown calls it before closing the store). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    while (this.pending.size > 0) {
      const batch = [...this.pending].slice(0, this.maxBatch);
      for (const [id] of batch) this.pending.delete(id);
      this.flushing = this.store
        .transaction(async (tx) => {
          for (const [id, s] of batch) await tx.nodes.setSeen(id, s.lastSeen, s.endpoint, s.agentVersion);
        })
        .catch((err: unknown) => this.log.error({ err, rows: batch.length }, 'writing last-seen failed'))
        .finally(() => {
          this.flushing = null;
        });
      await this.flushing;
    }
  }
}
