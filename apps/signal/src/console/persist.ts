import type { Logger } from 'pino';
import type { Store } from '../store/index.js';

/** What ConsoleSessions persists through: the value read at start, then ordered writes. */
export type MetaPersist = {
  load(): string | undefined;
  save(value: string): void;
  /** Resolves when every write issued so far has reached the database. */
  flush(): Promise<void>;
};

/**
 * ConsoleSessions keeps its hashes in memory and writes them through synchronously from its point of
 * view: the database write is queued behind the previous one (on PostgreSQL two writes in flight on
 * different pool connections could land in the wrong order). A failed write is logged; the sessions
 * stay valid in memory.
 */
export async function metaPersist(store: Store, key: string, log?: Logger): Promise<MetaPersist> {
  const initial = await store.meta.get(key);
  let chain: Promise<void> = Promise.resolve();
  return {
    load: () => initial,
    save: (value) => {
      chain = chain
        .then(() => store.meta.set(key, value))
        .catch((err: unknown) => log?.error({ err, key }, 'saving console sessions failed'));
    },
    flush: () => chain,
  };
}
