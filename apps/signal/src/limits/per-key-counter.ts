/**
 * Concurrent things per key (open WebSockets per source address). acquire() refuses at `max`;
 * every successful acquire() must be paired with exactly one release(). Keys at zero are dropped, so
 * the map holds only addresses with something open.
 */
export class PerKeyCounter {
  private readonly counts = new Map<string, number>();

  constructor(readonly max: number) {}

  acquire(key: string): boolean {
    const n = this.counts.get(key) ?? 0;
    if (n >= this.max) return false;
    this.counts.set(key, n + 1);
    return true;
  }

  release(key: string): void {
    const n = this.counts.get(key) ?? 0;
    if (n <= 1) this.counts.delete(key);
    else this.counts.set(key, n - 1);
  }

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  get keys(): number {
    return this.counts.size;
  }
}
