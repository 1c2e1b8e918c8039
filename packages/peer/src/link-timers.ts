/**
 * A link's one-shot timers (connect timeouts, retries, ICE-restart deadlines, retiring grace): none
 * fires once the link is closed, and closing clears them all at once.
 */
export class LinkTimers {
  readonly #timers = new Set<NodeJS.Timeout>();

  /** `closed()` is asked when a timer fires: a closed link runs nothing. */
  constructor(private readonly closed: () => boolean) {}

  after(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      if (!this.closed()) fn();
    }, ms);
    this.#timers.add(t);
    return t;
  }

  cancel(t: NodeJS.Timeout): void {
    clearTimeout(t);
    this.#timers.delete(t);
  }

  /** The link closed: every timer still waiting is dropped. */
  clearAll(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  /** Timers still waiting (for tests). */
  get size(): number {
    return this.#timers.size;
  }
}
