/**
 * Token bucket: `ratePerSecond` sustained, `burst` at once. take() answers whether one message may pass.
 * Dropped messages are counted per one-second window so the session can close a connection that keeps
 * flooding (more drops in a second than the sustained rate).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private windowStart: number;
  private windowDrops = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
    this.windowStart = this.last;
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
    this.last = t;
    if (t - this.windowStart >= 1000) {
      this.windowStart = t;
      this.windowDrops = 0;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.windowDrops++;
    return false;
  }

  /** Drops in the current one-second window. */
  get recentDrops(): number {
    return this.windowDrops;
  }

  /** True when the sender keeps flooding and should be disconnected. */
  get flooding(): boolean {
    return this.windowDrops > Math.max(50, this.ratePerSecond);
  }
}
