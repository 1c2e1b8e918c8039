import { hashSecret, randomToken } from '../auth/secrets.js';

export const SESSION_COOKIE = 'rtcmesh_session';

/** A change another server instance must apply too (sessions are kept in each instance's memory). */
export type ConsoleSessionEvent =
  | { op: 'add'; hash: string; expiresAt: number }
  | { op: 'revoke'; hash: string }
  | { op: 'revoke-all' };

export type ConsoleSessionsOptions = {
  /** Called for every sign-in, sign-out and revocation here (the server forwards them over the bus). */
  onChange?: (e: ConsoleSessionEvent) => void;
  /** Lifetime of a session (default 12 h); it does not slide. */
  ttlMs?: number;
  /** Sessions kept at most (default 1000); signing in beyond it evicts the oldest. */
  max?: number;
  now?: () => number;
  /** Where the session hashes survive restarts (the server uses its database's meta table). */
  persist?: { load(): string | undefined; save(value: string): void };
};

/**
 * Console sign-in sessions, exchanged for the admin token so the browser never keeps the token in JS.
 * Only the SHA-256 of a session id is kept (in memory and, when `persist` is given, in the database,
 * so a server restart does not sign everyone out): neither a database copy nor a heap dump hands out
 * a live session.
 */
export class ConsoleSessions {
  private readonly byHash = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly max: number;
  private readonly now: () => number;
  private readonly persist: ConsoleSessionsOptions['persist'];
  private readonly onChange: ConsoleSessionsOptions['onChange'];

  constructor(opts: ConsoleSessionsOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 12 * 3600_000;
    this.max = opts.max ?? 1000;
    this.now = opts.now ?? Date.now;
    this.persist = opts.persist;
    this.onChange = opts.onChange;
    this.restore();
  }

  private restore(): void {
    const raw = this.persist?.load();
    if (!raw) return;
    try {
      const entries: unknown = JSON.parse(raw);
      if (!Array.isArray(entries)) return;
      for (const e of entries.slice(-this.max)) {
        if (
          Array.isArray(e) &&
          typeof e[0] === 'string' &&
          /^[0-9a-f]{64}$/.test(e[0]) &&
          typeof e[1] === 'number'
        )
          this.byHash.set(e[0], e[1]);
      }
      this.sweep();
    } catch {
      // A damaged record only signs people out.
    }
  }

  private save(): void {
    this.persist?.save(JSON.stringify([...this.byHash]));
  }

  get size(): number {
    return this.byHash.size;
  }

  /** A new session: the id goes into the cookie, only its hash stays here. */
  create(): { id: string; expiresAt: number } {
    this.sweep();
    while (this.byHash.size >= this.max) {
      const oldest = this.byHash.keys().next().value;
      if (oldest === undefined) break;
      this.byHash.delete(oldest);
    }
    const id = randomToken(32);
    const expiresAt = this.now() + this.ttlMs;
    const hash = hashSecret(id);
    this.byHash.set(hash, expiresAt);
    this.save();
    this.onChange?.({ op: 'add', hash, expiresAt });
    return { id, expiresAt };
  }

  /** The session's expiry if `id` is a live session, else null. */
  check(id: string | undefined): number | null {
    if (!id || id.length > 128) return null;
    const h = hashSecret(id);
    const expiresAt = this.byHash.get(h);
    if (expiresAt === undefined) return null;
    if (expiresAt <= this.now()) {
      this.byHash.delete(h);
      return null;
    }
    return expiresAt;
  }

  revoke(id: string | undefined): void {
    if (!id) return;
    const hash = hashSecret(id);
    if (!this.byHash.delete(hash)) return;
    this.save();
    this.onChange?.({ op: 'revoke', hash });
  }

  /** Signs everyone out (admin token rotation); returns how many live sessions there were. */
  revokeAll(): number {
    this.sweep();
    const n = this.byHash.size;
    this.byHash.clear();
    this.save();
    this.onChange?.({ op: 'revoke-all' });
    return n;
  }

  /** Applies a change made on another instance (not persisted again, not forwarded again). */
  apply(e: ConsoleSessionEvent): void {
    if (e.op === 'revoke-all') this.byHash.clear();
    else if (e.op === 'revoke') this.byHash.delete(e.hash);
    else if (e.expiresAt > this.now()) {
      while (this.byHash.size >= this.max) {
        const oldest = this.byHash.keys().next().value;
        if (oldest === undefined) break;
        this.byHash.delete(oldest);
      }
      this.byHash.set(e.hash, e.expiresAt);
    }
  }

  private sweep(): void {
    const now = this.now();
    for (const [h, exp] of this.byHash) if (exp <= now) this.byHash.delete(h);
  }
}
