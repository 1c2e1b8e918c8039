/**
 * Messages are handled in arrival order. Most (signal, ping) finish synchronously; the ones that
 * touch the database (auth, advertise, status) take a while, and whatever arrives meanwhile waits
 * behind them, at most `maxPending` messages (beyond that the client is flooding: the session
 * disconnects it).
 */
export class MessageQueue {
  /** Messages being handled or waiting. */
  #pending = 0;
  #tail: Promise<void> = Promise.resolve();

  constructor(private readonly maxPending: number) {}

  /**
   * Runs `handle` now when nothing is in progress, else after everything before it. Returns false
   * (and runs nothing) when `maxPending` messages are already in progress or waiting. `handle` must
   * not throw or reject.
   */
  push(handle: () => Promise<void> | undefined): boolean {
    if (this.#pending === 0) {
      const running = handle();
      if (running) this.#track(running);
      return true;
    }
    if (this.#pending >= this.maxPending) return false;
    this.#track(this.#tail.then(handle));
    return true;
  }

  #track(p: Promise<void>): void {
    this.#pending++;
    this.#tail = p.finally(() => {
      this.#pending--;
    });
  }
}
