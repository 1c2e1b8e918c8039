import { performance } from 'node:perf_hooks';
import { TokenBucket } from '@rtcmesh/limits';

/**
 * The message rate of one WebSocket session: `ratePerSecond` sustained, `burst` at once (the token
 * bucket of @rtcmesh/limits). Dropped messages are counted per one-second window so the session can
 * close a connection that keeps flooding (more drops in a second than the sustained rate, at least 50).
 */
export class MessageRate {
  readonly #bucket: TokenBucket;
  #windowStart: number;
  #windowDrops = 0;

  constructor(
    private readonly ratePerSecond: number,
    burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#windowStart = now();
    this.#bucket = new TokenBucket({ pps: ratePerSecond, burst }, this.#windowStart);
  }

  /** Whether one more message may pass now. */
  take(): boolean {
    const t = this.now();
    if (t - this.#windowStart >= 1000) {
      this.#windowStart = t;
      this.#windowDrops = 0;
    }
    if (this.#bucket.take(t)) return true;
    this.#windowDrops++;
    return false;
  }

  /** Drops in the current one-second window. */
  get recentDrops(): number {
    return this.#windowDrops;
  }

  /** True when the sender keeps flooding and should be disconnected. */
  get flooding(): boolean {
    return this.#windowDrops > Math.max(50, this.ratePerSecond);
  }
}
