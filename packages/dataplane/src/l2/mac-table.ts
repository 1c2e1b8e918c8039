import type { MacNumber } from '../addr/mac.js';
import type { PortId } from '../ports.js';

export interface MacTableOptions {
  /** Learned entries not refreshed for this long are removed. Default 300 000 ms (as 802.1D). */
  readonly ageMs?: number;
  /**
   * Bound on entries (learned + advertised). When full, NEW MACs are not learned (frames to them are
   * flooded as unknown unicast) and `full` is counted; existing entries keep working and still move.
   * Refusing new entries rather than evicting old ones keeps a MAC-flooding host from pushing the
   * established hosts out. Default 16 384.
   */
  readonly maxEntries?: number;
  /** Flap damping: more than `maxMoves` moves within `moveWindowMs` holds the MAC down. Defaults
   *  5 moves in 180 s (the MAC mobility defaults of RFC 7432 §15.1). */
  readonly maxMoves?: number;
  readonly moveWindowMs?: number;
  /** How long a flapping MAC stays pinned to its port; frames with it as source from any other
   *  port are dropped meanwhile. Default 60 000 ms. */
  readonly holdDownMs?: number;
}

export class MacEntry {
  constructor(
    public port: PortId,
    public lastSeen: number,
    /** Installed from a control-plane advertisement: does not age, removed when withdrawn. */
    public advertised: boolean,
    /** Sequence number of the advertisement or of the local binding. */
    public seq: number,
    public moveWindowStart: number,
    public moves: number,
    public holdUntil: number,
    /** Port the MAC came from on its last move (reported by flap events). */
    public previousPort: PortId,
  ) {}
}

/** Outcome of MacTable.learn(). Plain numbers: learn() runs per frame. */
export const Learn = {
  Refreshed: 0,
  New: 1,
  Moved: 2,
  /** The table is full; the MAC was not learned. */
  Full: 3,
  /** The MAC is held down after flapping and was seen on another port: drop the frame. */
  HeldDown: 4,
  /** This move started a hold-down: drop the frame, report the flap. */
  StartedHoldDown: 5,
} as const;
export type LearnResult = (typeof Learn)[keyof typeof Learn];

export interface MacTableCounters {
  learned: number;
  moved: number;
  aged: number;
  full: number;
  holdDowns: number;
}

/**
 * MAC address -> port, keyed by the MAC as a number (no string per frame). Aging is lazy (an expired
 * entry is ignored and removed when looked up) plus sweep() for the rest.
 */
export class MacTable {
  readonly #map = new Map<MacNumber, MacEntry>();
  readonly #ageMs: number;
  readonly #max: number;
  readonly #maxMoves: number;
  readonly #windowMs: number;
  readonly #holdMs: number;
  readonly #onExpire: (mac: MacNumber, entry: MacEntry) => void;
  readonly counters: MacTableCounters = { learned: 0, moved: 0, aged: 0, full: 0, holdDowns: 0 };

  constructor(opts: MacTableOptions = {}, onExpire: (mac: MacNumber, entry: MacEntry) => void = () => {}) {
    this.#ageMs = opts.ageMs ?? 300_000;
    this.#max = opts.maxEntries ?? 16_384;
    this.#maxMoves = opts.maxMoves ?? 5;
    this.#windowMs = opts.moveWindowMs ?? 180_000;
    this.#holdMs = opts.holdDownMs ?? 60_000;
    this.#onExpire = onExpire;
  }

  get size(): number {
    return this.#map.size;
  }

  get holdDownMs(): number {
    return this.#holdMs;
  }

  /** The live entry for mac, or undefined (an expired learned entry is removed here). */
  get(mac: MacNumber, nowMs: number): MacEntry | undefined {
    const e = this.#map.get(mac);
    if (e === undefined) return undefined;
    if (!e.advertised && nowMs - e.lastSeen > this.#ageMs) {
      this.#expire(mac, e);
      return undefined;
    }
    return e;
  }

  /** Learns that mac was seen as a source on port. Moves at once unless the MAC is held down. */
  learn(mac: MacNumber, port: PortId, nowMs: number): LearnResult {
    const e = this.get(mac, nowMs);
    if (e === undefined) {
      if (this.#map.size >= this.#max) {
        this.counters.full++;
        return Learn.Full;
      }
      this.#map.set(mac, new MacEntry(port, nowMs, false, 0, nowMs, 0, 0, port));
      this.counters.learned++;
      return Learn.New;
    }
    if (e.port === port) {
      e.lastSeen = nowMs;
      return Learn.Refreshed;
    }
    if (nowMs < e.holdUntil) return Learn.HeldDown;
    if (nowMs - e.moveWindowStart > this.#windowMs) {
      e.moveWindowStart = nowMs;
      e.moves = 0;
    }
    e.moves++;
    if (e.moves > this.#maxMoves) {
      // Pin the MAC where it is; the loop (or the duplicate MAC) has to be fixed by a human.
      e.holdUntil = nowMs + this.#holdMs;
      e.previousPort = port;
      e.moves = 0;
      e.moveWindowStart = nowMs + this.#holdMs;
      this.counters.holdDowns++;
      return Learn.StartedHoldDown;
    }
    e.previousPort = e.port;
    e.port = port;
    e.lastSeen = nowMs;
    e.advertised = false;
    this.counters.moved++;
    return Learn.Moved;
  }

  /**
   * Installs a control-plane advertisement (mac behind a peer). Returns false when the table is full.
   * Sequence arbitration against local bindings is the caller's job.
   */
  advertise(mac: MacNumber, port: PortId, seq: number, nowMs: number): boolean {
    const e = this.#map.get(mac);
    if (e === undefined) {
      if (this.#map.size >= this.#max) {
        this.counters.full++;
        return false;
      }
      this.#map.set(mac, new MacEntry(port, nowMs, true, seq, nowMs, 0, 0, port));
      return true;
    }
    if (e.port !== port) e.previousPort = e.port;
    e.port = port;
    e.advertised = true;
    e.seq = seq;
    e.lastSeen = nowMs;
    return true;
  }

  /** Removes mac when it is an advertised entry behind port (a withdrawal). */
  withdraw(mac: MacNumber, port: PortId): void {
    const e = this.#map.get(mac);
    if (e?.advertised && e.port === port) this.#map.delete(mac);
  }

  /** Raw entry access (no aging check), for diagnostics and sequence arbitration. */
  peek(mac: MacNumber): MacEntry | undefined {
    return this.#map.get(mac);
  }

  delete(mac: MacNumber): void {
    this.#map.delete(mac);
  }

  /** Removes every entry behind port (the peer went away). */
  flushPort(port: PortId): number {
    let n = 0;
    for (const [mac, e] of this.#map) {
      if (e.port === port) {
        this.#map.delete(mac);
        n++;
      }
    }
    return n;
  }

  /**
   * Removes the entries learned from traffic behind port (its link went down: until it is back, frames
   * for those MACs flood and whoever answers is learned again). Advertised entries stay: the control
   * plane withdraws or moves them. Returns how many went.
   */
  flushLearned(port: PortId): number {
    let n = 0;
    for (const [mac, e] of this.#map) {
      if (e.port === port && !e.advertised) {
        this.#map.delete(mac);
        n++;
      }
    }
    return n;
  }

  /** Removes expired learned entries; call every few seconds. Returns how many went. */
  sweep(nowMs: number): number {
    let n = 0;
    for (const [mac, e] of this.#map) {
      if (!e.advertised && nowMs - e.lastSeen > this.#ageMs) {
        this.#expire(mac, e);
        n++;
      }
    }
    return n;
  }

  entries(): IterableIterator<[MacNumber, MacEntry]> {
    return this.#map.entries();
  }

  #expire(mac: MacNumber, e: MacEntry): void {
    this.#map.delete(mac);
    this.counters.aged++;
    this.#onExpire(mac, e);
  }
}
