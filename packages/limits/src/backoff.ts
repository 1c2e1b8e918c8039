/**
 * Exponential backoff with jitter: the nominal delay doubles from `minMs` up to `maxMs`, and each
 * delay is drawn in [50 %, 100 %] of it, so a thousand agents that lost their server at the same
 * instant (or two peers whose connects failed together) do not all retry in step, and none retries
 * sooner than half the nominal delay.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random = Math.random): number {
  const nominal = Math.min(maxMs, minMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return Math.round(nominal * (0.5 + random() * 0.5));
}

/** backoffDelay() with its attempt counted: next() after each failure, reset() after a success. */
export class Backoff {
  #attempt = 0;

  constructor(
    private readonly minMs = 500,
    private readonly maxMs = 10_000,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const delay = backoffDelay(this.#attempt, this.minMs, this.maxMs, this.random);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return delay;
  }

  reset(): void {
    this.#attempt = 0;
  }
}
