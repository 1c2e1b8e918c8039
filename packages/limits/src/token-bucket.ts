/** Rate and burst of a token bucket (packets per second, packets). */
export interface RateLimit {
  readonly pps: number;
  readonly burst: number;
}

/**
 * Token bucket refilled lazily from the caller's clock (no timers), so it costs two multiplications per
 * packet and is deterministic under test.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly #perMs: number;
  readonly #burst: number;

  constructor(limit: RateLimit, nowMs = 0) {
    if (!(limit.pps > 0) || !(limit.burst >= 1)) throw new Error('rate limit needs pps > 0 and burst >= 1');
    this.#perMs = limit.pps / 1000;
    this.#burst = limit.burst;
    this.#tokens = limit.burst;
    this.#last = nowMs;
  }

  /** Takes one token; false when the bucket is empty. */
  take(nowMs: number): boolean {
    const elapsed = nowMs - this.#last;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.#burst, this.#tokens + elapsed * this.#perMs);
      this.#last = nowMs;
    }
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    return false;
  }
}
