export interface Impairment {
  delayMs: number;
  lossPct: number;
  /** Bottleneck rate (Mbit/s); 0: none. */
  rateMbit?: number;
  /** Buffer in front of the bottleneck, in ms at that rate (default 50). */
  queueMs?: number;
}

/** Frames waiting per direction; when full, new frames are dropped (a full queue is a congested link). */
export const MAX_QUEUED_FRAMES = 10_000;

/**
 * One direction of an impaired link: drops a random `lossPct` % of frames and delivers the rest
 * `delayMs` later, in order (one FIFO, one timer).
 */
export class DelayLine {
  private readonly queue: Array<{ at: number; frame: Buffer }> = [];
  private timer: NodeJS.Timeout | undefined;
  dropped = 0;
  overflowed = 0;
  /** Frames dropped because the bottleneck's buffer was full. */
  queueDropped = 0;
  /** When the bottleneck is free again (clock ms). */
  private busyUntil = 0;

  constructor(
    private impairment: Impairment,
    private readonly deliver: (frame: Buffer) => void,
    private readonly random: () => number = Math.random,
    /** The clock (performance.now() ms); a test freezes it to fill the buffer in one instant. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  set(impairment: Impairment): void {
    this.impairment = impairment;
  }

  push(frame: Buffer): void {
    const { delayMs, lossPct, rateMbit = 0, queueMs = 50 } = this.impairment;
    if (lossPct > 0 && this.random() * 100 < lossPct) {
      this.dropped++;
      return;
    }
    let at = this.now();
    if (rateMbit > 0) {
      // A router's output port: each frame takes its serialisation time after the one before; a frame
      // that would wait longer than the buffer holds is dropped (tail drop).
      const start = Math.max(at, this.busyUntil);
      if (start - at > queueMs) {
        this.queueDropped++;
        return;
      }
      this.busyUntil = start + (frame.length * 8) / (rateMbit * 1000);
      at = this.busyUntil;
    }
    if (delayMs <= 0 && rateMbit <= 0 && this.queue.length === 0) {
      this.deliver(frame);
      return;
    }
    if (this.queue.length >= MAX_QUEUED_FRAMES) {
      this.overflowed++;
      return;
    }
    this.queue.push({ at: at + delayMs, frame });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    const wait = Math.max(0, this.queue[0]!.at - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = this.now();
      // Timers fire up to ~1 ms late: deliver everything that is due now, and nothing before it is due
      // (a frame let out early makes the wire shorter than its delay; a round trip came in under 2×).
      while (this.queue.length > 0 && this.queue[0]!.at <= now) this.deliver(this.queue.shift()!.frame);
      this.schedule();
    }, Math.ceil(wait));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }
}
