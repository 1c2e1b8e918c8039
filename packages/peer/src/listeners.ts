/** A minimal typed listener set; a throwing listener is isolated from the others. */
export class Listeners<A extends unknown[]> {
  private readonly set = new Set<(...args: A) => void>();
  constructor(private readonly onError: (err: unknown) => void) {}

  add(cb: (...args: A) => void): () => void {
    this.set.add(cb);
    return () => {
      this.set.delete(cb);
    };
  }

  emit(...args: A): void {
    for (const cb of this.set) {
      try {
        cb(...args);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  clear(): void {
    this.set.clear();
  }
}
