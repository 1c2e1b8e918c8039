/**
 * Token buckets per key (source address, join key id): `perMinute` sustained, `burst` at once. The map
 * is bounded: beyond `maxKeys` the least recently used key is forgotten (it gets a full bucket back,
 * which errs on the side of letting a real client in, and keeps memory flat under a spray of addresses).
 */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; last: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`: 0 when allowed, else the seconds until one is available (>= 1). */
  take(key: string): number {
    const t = this.now();
    const rate = this.perMinute / 60_000;
    const b = this.buckets.get(key);
    let tokens = this.burst;
    if (b) {
      tokens = Math.min(this.burst, b.tokens + (t - b.last) * rate);
      this.buckets.delete(key); // re-inserted below: Map order = least recently used first
    } else if (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, last: t });
      return 0;
    }
    this.buckets.set(key, { tokens, last: t });
    return Math.max(1, Math.ceil((1 - tokens) / rate / 1000));
  }

  get size(): number {
    return this.buckets.size;
  }
}
