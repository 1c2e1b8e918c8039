/** Round trip of one ping over a link's control channel. */
export interface PingResult {
  rttMs: number;
  path: 'direct' | 'relay' | null;
}

/** Keepalives remembered for the loss estimate. */
const KEEPALIVE_WINDOW = 30;
/** Keepalive ticks of packet-track counters kept for the path loss (20 x 500 ms = 10 s). */
const TRACK_LOSS_SAMPLES = 20;

export interface LinkHealthOptions {
  keepaliveIntervalMs: number;
  /** An explicit ping (`rtcmesh ping`) fails after this long without its pong. */
  pingTimeoutMs: number;
  /** Names the peer in errors. */
  remoteId: string;
}

/** Packet-track counters of a connection (what it received and what it should have). */
export interface TrackCounters {
  rxPackets: number;
  rxExpected: number;
}

/**
 * How alive and how good a link is, from what crosses its control channel: keepalive pings and their
 * pongs (silence, RTT, keepalive loss), explicit pings and their waiters, and the packet track's
 * receive counters (path loss). It sends nothing itself: PeerLink hands it ids to send and the pongs
 * it gets. Times are performance.now() milliseconds.
 */
export class LinkHealth {
  private nextId = 1;
  private readonly keepalives: Array<{ id: number; sentAt: number; answered: boolean }> = [];
  private readonly waiters = new Map<
    number,
    { sentAt: number; resolve: (r: PingResult) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private readonly trackSamples: Array<{ conn: object; rx: number; expected: number }> = [];
  private lastPongAt = 0;
  private rtt: number | null = null;

  constructor(private readonly o: LinkHealthOptions) {}

  get rttMs(): number | null {
    return this.rtt;
  }

  /** Pings answered or not: waiting explicit pings (for tests and status). */
  get pendingPings(): number {
    return this.waiters.size;
  }

  /** A connection just opened: it counts as heard from now. */
  markAlive(now: number): void {
    this.lastPongAt = now;
  }

  silentMs(now: number): number {
    return now - this.lastPongAt;
  }

  /** A keepalive tick: the id to send, and (if it was sent) it is remembered for the loss estimate. */
  keepalive(send: (id: number) => boolean, now: number): void {
    const id = this.nextId++;
    if (!send(id)) return;
    this.keepalives.push({ id, sentAt: now, answered: false });
    if (this.keepalives.length > KEEPALIVE_WINDOW) this.keepalives.shift();
  }

  /** An explicit ping; rejected on timeout, when it cannot be sent, or when the link resets. */
  ping(send: (id: number) => boolean, path: () => PingResult['path'], now: number): Promise<PingResult> {
    const id = this.nextId++;
    return new Promise<PingResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`ping to ${this.o.remoteId} timed out`));
      }, this.o.pingTimeoutMs);
      this.waiters.set(id, {
        sentAt: now,
        resolve: (r) => resolve({ ...r, path: path() }),
        reject,
        timer,
      });
      if (!send(id)) {
        clearTimeout(timer);
        this.waiters.delete(id);
        reject(new Error('control channel not writable'));
      }
    });
  }

  /** A pong: the link is alive; RTT from its keepalive or ping. */
  onPong(id: number, now: number): void {
    this.lastPongAt = now;
    const k = this.keepalives.find((e) => e.id === id);
    if (k && !k.answered) {
      k.answered = true;
      this.rtt = Math.round((now - k.sentAt) * 100) / 100;
    }
    const waiter = this.waiters.get(id);
    if (waiter) {
      this.waiters.delete(id);
      clearTimeout(waiter.timer);
      const rttMs = Math.round((now - waiter.sentAt) * 100) / 100;
      this.rtt = rttMs;
      waiter.resolve({ rttMs, path: null });
    }
  }

  /** The link closed: every waiting ping fails now, not at its timeout. */
  rejectPings(reason: string): void {
    for (const [, w] of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error(`ping to ${this.o.remoteId} failed: ${reason}`));
    }
    this.waiters.clear();
  }

  /** Keepalives lost among those old enough to have been answered (percent, one decimal). */
  keepaliveLossPct(now: number): number {
    const cutoff = now - 2 * this.o.keepaliveIntervalMs;
    let n = 0;
    let lost = 0;
    for (const k of this.keepalives) {
      if (k.answered) n++;
      else if (k.sentAt < cutoff) {
        n++;
        lost++;
      }
    }
    return n === 0 ? 0 : Math.round((lost / n) * 1000) / 10;
  }

  /** Once per keepalive tick: the active connection's packet-track counters. */
  sampleTrack(conn: object, counters: TrackCounters): void {
    this.trackSamples.push({ conn, rx: counters.rxPackets, expected: counters.rxExpected });
    if (this.trackSamples.length > TRACK_LOSS_SAMPLES) this.trackSamples.shift();
  }

  /** Loss on the packet track between the oldest kept sample of `conn` and `now` (null: no data). */
  trackLossPct(conn: object, now: TrackCounters): number | null {
    const first = this.trackSamples.find((x) => x.conn === conn);
    const expected = now.rxExpected - (first?.expected ?? 0);
    const rx = now.rxPackets - (first?.rx ?? 0);
    if (expected <= 0) return null;
    return Math.round((Math.max(0, expected - rx) / expected) * 1000) / 10;
  }
}
