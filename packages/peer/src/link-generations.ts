import type { Logger } from 'pino';
import type { LinkConnection } from './link-connection.js';
import type { LinkSignal } from './link-signal.js';
import type { LinkTimers } from './link-timers.js';
import { EndedGenerations, keepsOwnOffer, type PendingGeneration } from './negotiation.js';

/**
 * The generations of one link and where each stands: the active one (it forwards), the pending one (a
 * newer generation negotiating: reconnect or direct-path probe), the retiring ones (superseded, still
 * receiving for a grace: make-before-break) and the ids of those that ended (late signals for them
 * never start a new generation). It routes the peer's signals to them, and settles glare between two
 * new generations (negotiation.ts); PeerLink says which generation opened, died or is dropped.
 */
export class LinkGenerations {
  #active: LinkConnection | null = null;
  #pending: PendingGeneration | null = null;
  readonly #retiring = new Set<LinkConnection>();
  readonly #ended = new EndedGenerations();

  constructor(
    private readonly timers: LinkTimers,
    /** How long a superseded generation keeps receiving after a newer one opened. */
    private readonly retireGraceMs: number,
    private readonly log: Logger,
  ) {}

  get active(): LinkConnection | null {
    return this.#active;
  }

  get pending(): PendingGeneration | null {
    return this.#pending;
  }

  /** The live generation (pending, active or retiring) with this id. */
  private find(gen: string): LinkConnection | undefined {
    if (this.#pending?.conn.gen === gen) return this.#pending.conn;
    if (this.#active?.gen === gen) return this.#active;
    for (const c of this.#retiring) if (c.gen === gen) return c;
    return undefined;
  }

  /**
   * Where a signal of the peer for generation `gen` goes: a live generation; nowhere ('ignore': not an
   * offer, an ended generation, or a new generation refused in glare); or a new generation that
   * answers it ('new': this side's own pending offer, if any, was dropped in glare).
   */
  route(signal: LinkSignal, gen: string, polite: boolean, nowMs: number): LinkConnection | 'ignore' | 'new' {
    const known = this.find(gen);
    if (known) return known;
    if (signal.kind !== 'description' || signal.description.type !== 'offer' || this.#ended.has(gen)) {
      this.log.debug({ gen, kind: signal.kind }, 'signal for unknown or ended generation ignored');
      return 'ignore';
    }
    const pending = this.#pending;
    if (pending) {
      if (keepsOwnOffer(pending, polite, nowMs)) {
        this.log.debug({ gen, mine: pending.conn.gen }, 'new-generation glare: keeping mine (impolite)');
        return 'ignore';
      }
      this.log.debug({ gen, mine: pending.conn.gen }, 'new-generation glare: adopting remote');
      this.dropPending();
    }
    return 'new';
  }

  /** A new generation negotiates (its `timer` is the connect timeout). */
  setPending(pending: PendingGeneration): void {
    this.#pending = pending;
  }

  /**
   * The pending generation `conn` opened: it becomes the active one, and the one it replaces retires
   * (ended after the grace). Its pending record, or null when `conn` is not the pending generation.
   */
  adopt(conn: LinkConnection): PendingGeneration | null {
    const p = this.#pending;
    if (p?.conn !== conn) return null;
    this.timers.cancel(p.timer);
    this.#pending = null;
    const old = this.#active;
    this.#active = conn;
    if (old) this.retire(old);
    return p;
  }

  /** Abandons the pending generation (its connect timeout with it). */
  dropPending(): void {
    const p = this.#pending;
    if (!p) return;
    this.#pending = null;
    this.timers.cancel(p.timer);
    this.end(p.conn);
  }

  /** The active generation died: it ends, and none is active. */
  endActive(): void {
    const conn = this.#active;
    if (!conn) return;
    this.#active = null;
    this.end(conn);
  }

  /** The link closes: every generation, forgotten here; the caller closes them. */
  takeAll(): LinkConnection[] {
    const conns = [this.#active, this.#pending?.conn, ...this.#retiring].filter(
      (c): c is LinkConnection => !!c,
    );
    this.#active = null;
    this.#pending = null;
    this.#retiring.clear();
    return conns;
  }

  /** Closes a generation and remembers its id, so late signals for it never start a new one. */
  private end(conn: LinkConnection): void {
    this.#ended.add(conn.gen);
    void conn.close();
  }

  private retire(conn: LinkConnection): void {
    this.#retiring.add(conn);
    this.timers.after(() => {
      this.#retiring.delete(conn);
      this.end(conn);
    }, this.retireGraceMs);
  }
}
