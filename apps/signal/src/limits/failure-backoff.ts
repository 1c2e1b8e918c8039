/**
 * Exponential backoff after failed attempts, per key (a client address): `free` failures cost
 * nothing, each further one doubles the wait from `baseMs` up to `maxMs`; a success forgets the key.
 * One address that guesses locks out only itself, never the admin at another address. The map is
 * bounded: beyond `maxKeys` the least recently failed key is forgotten (memory stays flat under a
 * spray of addresses; a forgotten address gets its free attempts back, and the secret is 32 random
 * bytes, so that buys a guesser nothing).
 */
export class FailureBackoff {
  private readonly keys = new Map<string, { failures: number; until: number }>();

  constructor(
    private readonly o: { free: number; baseMs: number; maxMs: number; maxKeys?: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until `key` may try again; 0: now. */
  wait(key: string): number {
    const e = this.keys.get(key);
    return e ? Math.max(0, e.until - this.now()) : 0;
  }

  failed(key: string): void {
    const e = this.keys.get(key) ?? { failures: 0, until: 0 };
    this.keys.delete(key); // re-inserted: Map order = least recently failed first
    if (this.keys.size >= (this.o.maxKeys ?? 10_000)) {
      const oldest = this.keys.keys().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
    e.failures++;
    const over = e.failures - this.o.free;
    e.until = over > 0 ? this.now() + Math.min(this.o.maxMs, this.o.baseMs * 2 ** (over - 1)) : 0;
    this.keys.set(key, e);
  }

  succeeded(key: string): void {
    this.keys.delete(key);
  }

  get size(): number {
    return this.keys.size;
  }
}
