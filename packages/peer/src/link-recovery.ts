import { backoffDelay } from '@rtcmesh/limits';
import type { Logger } from 'pino';
import type { ConnectPlan } from './connect-plan.js';
import type { LinkConnection } from './link-connection.js';
import type { LinkGenerations } from './link-generations.js';
import type { LinkTimers } from './link-timers.js';
import type { PendingGeneration } from './negotiation.js';
import type { LinkState, LinkTimings } from './peer-link-options.js';

/** First direct-path probe after a link lands on the relay. */
const EARLY_UPGRADE_MS = 3_000;

/** What recovery does to its link (PeerLink). */
export interface RecoveryHost {
  state(): LinkState;
  setState(next: LinkState): void;
  /** Starts negotiating a generation this side offers; it becomes the pending one. */
  startGeneration(plan: ConnectPlan, how: { own: true; probe: boolean }): void;
}

export interface LinkRecoveryOptions {
  /** The connect plans in order (connectPlans(), relay-only ones when the link is relay-only). */
  plans: readonly ConnectPlan[];
  timings: Pick<
    LinkTimings,
    | 'keepaliveIntervalMs'
    | 'keepaliveMissLimit'
    | 'restartTimeoutMs'
    | 'upgradeIntervalMs'
    | 'retryMinMs'
    | 'retryMaxMs'
  >;
  /** This side probes for a direct path while relayed (the impolite side of a link that may go direct). */
  probes: boolean;
  generations: LinkGenerations;
  timers: LinkTimers;
  log: Logger;
  host: RecoveryHost;
}

/**
 * How a link gets back to a working generation, and off the relay. Connect failures -> next plan (all,
 * then relay-only through each TURN URL) with backoff and jitter; keepalive loss -> ICE restart -> new
 * generation if no answer within restartTimeoutMs; while relayed the impolite side periodically runs a
 * STUN-only probe generation, which can only open over a direct path (PeerLink switches to it when it
 * opens). It decides and keeps the timers; PeerLink starts the generations it asks for.
 */
export class LinkRecovery {
  private readonly o: LinkRecoveryOptions['timings'];
  private readonly plans: readonly ConnectPlan[];
  private readonly gens: LinkGenerations;
  private readonly timers: LinkTimers;
  private readonly log: Logger;
  private readonly host: RecoveryHost;
  private readonly probes: boolean;
  private upgradeTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  #iceRestarts = 0;

  constructor(options: LinkRecoveryOptions) {
    this.o = options.timings;
    this.plans = options.plans;
    this.gens = options.generations;
    this.timers = options.timers;
    this.log = options.log;
    this.host = options.host;
    this.probes = options.probes;
  }

  /** ICE restarts run (LinkStats.iceRestarts). */
  get iceRestarts(): number {
    return this.#iceRestarts;
  }

  /** The link started: direct-path probes every upgradeIntervalMs (when this side probes at all). */
  startProbes(): void {
    if (this.o.upgradeIntervalMs > 0 && this.probes) {
      this.upgradeTimer = setInterval(() => this.upgradeTick(), this.o.upgradeIntervalMs);
    }
  }

  /** A generation opened: the plans start over, and a pending ICE-restart deadline is moot. */
  opened(): void {
    this.attempt = 0;
    this.cancelRestart();
  }

  /** The pending generation failed (timed out or died); `probe`: it was a direct-path probe. */
  pendingFailed(probe: boolean): void {
    // A probe failing, or a superseding attempt failing while the active generation works, is harmless.
    if (probe || this.hasWorkingActive()) return;
    this.failedAttempt();
  }

  /** A connect attempt failed and no generation works: the next plan, soon. */
  private failedAttempt(): void {
    this.attempt++;
    const cycle = Math.floor(this.attempt / this.plans.length);
    // One quick pass over every plan (all, relay via each TURN URL), then exponential backoff per pass.
    const delay =
      cycle === 0
        ? Math.min(250, this.o.retryMinMs)
        : backoffDelay(cycle - 1, this.o.retryMinMs, this.o.retryMaxMs);
    this.scheduleRetry(delay);
  }

  /** A new generation with the current attempt's plan after `delayMs`, unless one negotiates by then. */
  scheduleRetry(delayMs: number): void {
    if (this.retryTimer) this.timers.cancel(this.retryTimer);
    this.retryTimer = this.timers.after(() => {
      this.retryTimer = null;
      if (this.state === 'closed' || this.pending) return;
      const plan = this.plans[this.attempt % this.plans.length]!;
      this.host.startGeneration(plan, { own: true, probe: false });
    }, delayMs);
  }

  /** A keepalive tick on the active generation `conn`, silent for `silentMs`: too long means the path is down. */
  keepaliveTick(conn: LinkConnection, silentMs: number): void {
    if (this.state === 'connected' && silentMs > this.o.keepaliveIntervalMs * this.o.keepaliveMissLimit) {
      this.pathDown(conn, silentMs);
    }
  }

  /**
   * A pong: if the link was reconnecting with its active generation kept, that generation recovered.
   * True then (the caller says connected again).
   */
  pong(): boolean {
    if (this.state !== 'reconnecting' || !this.active) return false;
    this.cancelRestart();
    // The ICE restart recovered the active generation: a replacement negotiating meanwhile is moot.
    if (this.pending && !this.pending.probe && this.pending.own) this.dropPending();
    return true;
  }

  /**
   * Forced recovery (PeerLink.restart): 'ice' restarts ICE on the active generation, 'renegotiate'
   * (or 'ice' on a stack without ICE restart) a new generation while the active one keeps forwarding.
   */
  restart(mode: 'ice' | 'renegotiate'): void {
    const conn = this.active;
    if (mode === 'ice' && conn?.canRestartIce) {
      this.#iceRestarts++;
      conn.restartIce();
      return;
    }
    if (this.pending) this.dropPending();
    const plan = conn?.plan.policy === 'direct' ? this.plans[0]! : (conn?.plan ?? this.plans[0]!);
    this.host.startGeneration(plan, { own: true, probe: false });
  }

  /**
   * The path just changed to the relay (ICE nominated the relay pair first, or a failover): try for a
   * direct path soon, rather than a full upgrade interval later. A failed probe costs nothing: the
   * relay keeps going.
   */
  landedOnRelay(): void {
    if (this.upgradeTimer) {
      const delay = Math.min(EARLY_UPGRADE_MS, this.o.upgradeIntervalMs);
      this.timers.after(() => this.upgradeTick(), delay);
    }
  }

  cancelRestart(): void {
    if (this.restartTimer) this.timers.cancel(this.restartTimer);
    this.restartTimer = null;
  }

  /** The link closed (its one-shot timers are cleared with LinkTimers). */
  stop(): void {
    if (this.upgradeTimer) clearInterval(this.upgradeTimer);
    this.upgradeTimer = this.retryTimer = this.restartTimer = null;
  }

  private get state(): LinkState {
    return this.host.state();
  }

  /** The generations, as LinkGenerations keeps them. */
  private get active(): LinkConnection | null {
    return this.gens.active;
  }

  private get pending(): PendingGeneration | null {
    return this.gens.pending;
  }

  private dropPending(): void {
    this.gens.dropPending();
  }

  private hasWorkingActive(): boolean {
    return this.active !== null && this.state === 'connected';
  }

  private pathDown(conn: LinkConnection, silentMs: number): void {
    const restart = conn.canRestartIce;
    this.log.info(
      { gen: conn.gen, silentMs: Math.round(silentMs) },
      restart ? 'keepalive lost: ICE restart' : 'keepalive lost: new generation',
    );
    this.host.setState('reconnecting');
    if (restart) {
      this.#iceRestarts++;
      conn.restartIce();
    }
    this.cancelRestart();
    // Without ICE restart (libdatachannel) the next generation starts now; the old one stays active.
    this.restartTimer = this.timers.after(
      () => {
        this.restartTimer = null;
        if (this.active !== conn || this.state !== 'reconnecting') return;
        if (restart) this.log.info({ gen: conn.gen }, 'ICE restart did not recover: new generation');
        // Leave the old generation active (it may still come back) while the next plan negotiates.
        const index = this.plans.findIndex(
          (p) => p.policy === conn.plan.policy && p.turnIndex === conn.plan.turnIndex,
        );
        this.attempt = index >= 0 ? index + 1 : 0;
        // The peer lost the path too and already offered the next generation (we answer it): starting
        // our own now would drop it, and the peer, whose offer is the fresher, would keep it in glare:
        // both then wait out a connect timeout. Its own timeout moves on to the next plan.
        if (this.pending && !this.pending.probe && !this.pending.own) return;
        if (this.pending) this.dropPending();
        const plan = this.plans[this.attempt % this.plans.length]!;
        this.host.startGeneration(plan, { own: true, probe: false });
      },
      restart ? this.o.restartTimeoutMs : 0,
    );
  }

  private upgradeTick(): void {
    if (this.state !== 'connected' || this.pending) return;
    const path = this.active?.path();
    if (path?.path !== 'relay') return;
    this.log.info('relayed: probing for a direct path');
    this.host.startGeneration({ policy: 'direct', turnIndex: 0 }, { own: true, probe: true });
  }
}
