export interface Impairment {
  delayMs: number;
  lossPct: number;
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

  constructor(
    private impairment: Impairment,
    private readonly deliver: (frame: Buffer) => void,
    private readonly random: () => number = Math.random,
  ) {}

  set(impairment: Impairment): void {
    this.impairment = impairment;
  }

  push(frame: Buffer): void {
    const { delayMs, lossPct } = this.impairment;
    if (lossPct > 0 && this.random() * 100 < lossPct) {
      this.dropped++;
      return;
    }
    if (delayMs <= 0 && this.queue.length === 0) {
      this.deliver(frame);
      return;
    }
    if (this.queue.length >= MAX_QUEUED_FRAMES) {
      this.overflowed++;
      return;
    }
    this.queue.push({ at: performance.now() + delayMs, frame });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.queue.length === 0) return;
    const wait = Math.max(0, this.queue[0]!.at - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = performance.now();
      // Timers fire up to ~1 ms late; deliver everything that is due now.
      while (this.queue.length > 0 && this.queue[0]!.at <= now + 0.5) this.deliver(this.queue.shift()!.frame);
      this.schedule();
    }, Math.ceil(wait));
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }
}
