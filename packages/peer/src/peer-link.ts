import { performance } from 'node:perf_hooks';
import { type Logger, pino } from 'pino';
import { type ConnectPlan, newGeneration } from './connect-plan.js';
import { GenerationFactory } from './generation-factory.js';
import type { ChannelConfig, LinkConnection, PathInfo, TransportPreference } from './link-connection.js';
import { LinkControl } from './link-control.js';
import { LinkEvents } from './link-events.js';
import { LinkGenerations } from './link-generations.js';
import { LinkHealth, type PingResult } from './link-health.js';
import { LinkRecovery } from './link-recovery.js';
import { type LinkSignal, parseLinkSignal } from './link-signal.js';
import { activeStats, describePlan, type LinkStats, LinkTraffic } from './link-stats.js';
import { LinkTimers } from './link-timers.js';
import { samePath } from './negotiation.js';
import { type LinkState, type LinkTimings, linkTimings, type PeerLinkOptions } from './peer-link-options.js';

export type { PingResult } from './link-health.js';
export type { LinkStats } from './link-stats.js';
export type { LinkState, PeerLinkOptions } from './peer-link-options.js';

/**
 * One WebRTC link to one peer.
 *
 * Generations: every full (re)negotiation is a new RTCPeerConnection tagged with a generation id that
 * travels in each signal. The active generation keeps forwarding while a newer one (reconnect or direct
 * upgrade probe) negotiates; when the newer one opens both channels it becomes active and the old one
 * is closed after a short grace (make-before-break). Two new generations at once (both sides start or
 * both time out): the impolite side ignores the polite side's new generation while its own is pending,
 * the polite side abandons its own and answers the impolite one; inside a generation, W3C perfect
 * negotiation handles glare (ICE restarts).
 *
 * Failure handling: connect timeout per generation -> next plan (all, then relay-only through each TURN
 * URL) with backoff and jitter; keepalive loss -> ICE restart -> new generation if no answer within
 * restartTimeoutMs; while relayed the impolite side periodically runs a STUN-only probe generation, which
 * can only open over a direct path, and switches to it when it opens. Where each generation stands is
 * kept by LinkGenerations (link-generations.ts), the recovery policy and its timers are LinkRecovery's
 * (link-recovery.ts), what is said on the control channel is LinkControl's (link-control.ts).
 */
export class PeerLink {
  readonly localId: string;
  readonly remoteId: string;
  readonly polite: boolean;
  private readonly o: LinkTimings;
  /** The configured preference; each generation's stack is chosen per plan (generation-factory.ts). */
  readonly transport: TransportPreference;
  private readonly log: Logger;
  /** Plans, stacks and settings of this link's generations (generation-factory.ts). */
  private readonly factory: GenerationFactory;
  private readonly plans: ConnectPlan[];

  private state: LinkState = 'new';
  private since = Date.now();
  private readonly timers = new LinkTimers(() => this.state === 'closed');
  /** Active, pending, retiring and ended generations (link-generations.ts). */
  private readonly gens: LinkGenerations;
  /** Retries, keepalive loss, direct-path probes (link-recovery.ts). */
  private readonly recovery: LinkRecovery;
  private readonly control: LinkControl;
  private keepaliveTimer: NodeJS.Timeout | null = null;

  /** Keepalive, ping, RTT and loss (link-health.ts). */
  private readonly health: LinkHealth;
  private lastPath: PathInfo | null = null;

  private readonly counters = new LinkTraffic();
  private generations = 0;
  private upgrades = 0;

  private readonly events: LinkEvents;

  constructor(options: PeerLinkOptions) {
    this.localId = options.localId;
    this.remoteId = options.remoteId;
    if (options.localId === options.remoteId) throw new Error('PeerLink: localId equals remoteId');
    this.polite = options.polite ?? options.localId < options.remoteId;
    this.o = linkTimings(options);
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ peer: options.remoteId });
    this.factory = new GenerationFactory(options, this.o, this.polite, this.log);
    this.transport = this.factory.preference;
    this.plans = this.factory.plans;
    this.events = new LinkEvents(this.log);
    this.health = new LinkHealth(this.o);
    this.gens = new LinkGenerations(this.timers, this.o.retireGraceMs, this.log);
    this.recovery = new LinkRecovery({
      plans: this.plans,
      timings: this.o,
      probes: !this.polite && !this.factory.relayOnly,
      generations: this.gens,
      timers: this.timers,
      log: this.log,
      host: {
        state: () => this.state,
        setState: (next) => this.setState(next),
        startGeneration: (plan, how) => this.startGeneration(plan, undefined, how),
      },
    });
    this.control = new LinkControl(this.log, {
      pong: (id) => this.onPong(id),
      message: (body) => this.events.control.emit(body),
    });
  }

  /** The active generation (it forwards). */
  private get active(): LinkConnection | null {
    return this.gens.active;
  }

  // ---- public API -------------------------------------------------------------------------------

  /** Starts negotiating (offers a first generation). Answering a remote offer also starts the link. */
  start(): void {
    if (this.state !== 'new') return;
    this.setState('connecting');
    this.startKeepalive();
    this.startGeneration(this.plans[0]!, undefined, { own: true, probe: false });
  }

  get currentState(): LinkState {
    return this.state;
  }

  onPacket(cb: (frame: Buffer) => void): () => void {
    return this.events.packet.add(cb);
  }
  onControl(cb: (msg: unknown) => void): () => void {
    return this.events.control.add(cb);
  }
  onState(cb: (state: LinkState, previous: LinkState) => void): () => void {
    return this.events.state.add(cb);
  }
  onPath(cb: (path: PathInfo | null) => void): () => void {
    return this.events.path.add(cb);
  }
  onClose(cb: (reason: string) => void): () => void {
    return this.events.close.add(cb);
  }

  /** Sends one frame. False means it was dropped (no open link, backpressure, oversize) and counted. */
  sendPacket(frame: Buffer): boolean {
    return this.counters.send(this.active, frame, this.o.maxFrameBytes);
  }

  /** Sends a JSON-serialisable message over the reliable control channel. False when not connected. */
  sendControl(body: unknown): boolean {
    return this.control.message(this.active, body);
  }

  /** Round trip over the control channel of the active generation; rejected if the link closes first. */
  ping(): Promise<PingResult> {
    const conn = this.active;
    if (!conn) return Promise.reject(new Error(`link to ${this.remoteId} is ${this.state}`));
    return this.health.ping(
      (id) => this.control.ping(conn, id),
      () => this.active?.path()?.path ?? null,
      performance.now(),
    );
  }

  stats(): LinkStats {
    const stack = this.factory.transportOf(this.active);
    return {
      state: this.state,
      transport: stack.transport,
      transportReason: stack.reason,
      ...activeStats(this.active, this.health, performance.now()),
      ...this.counters.stats(),
      connectPlan: this.active ? describePlan(this.active.plan) : null,
      since: this.since,
      generations: this.generations,
      iceRestarts: this.recovery.iceRestarts,
      upgrades: this.upgrades,
    };
  }

  /** Reliability settings of the active generation's channels (null when not connected). */
  channelConfig(): { packet: ChannelConfig; control: ChannelConfig } | null {
    return this.active?.channelConfig() ?? null;
  }

  /** Path of the active generation (nominated ICE pair). */
  path(): PathInfo | null {
    return this.active?.path() ?? null;
  }

  /**
   * Applies a signal from the remote link. Input is validated (it crossed the network); invalid input
   * is logged and ignored.
   */
  handleSignal(input: unknown): void {
    const parsed = parseLinkSignal(input);
    if (!parsed.ok) {
      this.log.warn({ error: parsed.error }, 'invalid link signal ignored');
      return;
    }
    const signal = parsed.signal;
    if (this.state === 'closed') return;
    if (signal.kind === 'bye') {
      void this.shutdown(`remote bye${signal.reason ? `: ${signal.reason}` : ''}`, false);
      return;
    }
    const gen = signal.gen ?? 'default';
    const to = this.gens.route(signal, gen, this.polite, performance.now());
    if (to === 'ignore') return;
    if (to !== 'new') {
      to.handleSignal(signal);
      return;
    }
    if (this.state === 'new') {
      this.setState('connecting');
      this.startKeepalive();
    }
    const plan = this.factory.planOf(gen);
    const conn = this.startGeneration(plan, gen, { own: false, probe: plan.policy === 'direct' });
    conn.handleSignal(signal);
  }

  /**
   * Forces recovery now (e.g. the agent saw a network change): 'ice' restarts ICE on the active
   * generation, 'renegotiate' negotiates a new generation while the active one keeps forwarding. A stack
   * without ICE restart (libdatachannel) renegotiates for 'ice' too.
   */
  restart(mode: 'ice' | 'renegotiate'): void {
    if (this.state === 'closed' || this.state === 'new') return;
    this.recovery.restart(mode);
  }

  /**
   * The signaling server could not deliver a signal to the peer (it was offline): the generation being
   * negotiated may never have reached it, so a new offer from the peer is adopted rather than refused
   * as glare (a restarted peer and this side would otherwise each wait out a connect timeout).
   */
  signalUndelivered(): void {
    const pending = this.gens.pending;
    if (pending?.own) pending.undelivered = true;
  }

  /** Closes the link, tells the remote side (bye) and frees every timer and socket. */
  close(reason = 'closed'): Promise<void> {
    return this.shutdown(reason, true);
  }

  // ---- generations ------------------------------------------------------------------------------

  private startGeneration(plan: ConnectPlan, gen: string | undefined, how: { own: boolean; probe: boolean }) {
    const id = gen ?? newGeneration(plan);
    this.log.info({ gen: id, plan, own: how.own }, 'starting connection generation');
    const conn: LinkConnection = this.factory.create(plan, id, gen === undefined, {
      sendSignal: (s) => {
        if (this.state !== 'closed') this.safeSend(s);
      },
      onOpen: () => this.onGenerationOpen(conn),
      onDead: (reason) => this.onGenerationDead(conn, reason),
      onPacket: (frame) => this.onFrame(frame),
      onControl: (text) => this.control.receive(conn, text),
      onPacketTrackReady: () => this.control.sendCaps(conn),
    });
    const timer = this.timers.after(() => this.onConnectTimeout(conn), this.o.connectTimeoutMs);
    this.gens.setPending({ conn, own: how.own, probe: how.probe, timer, startedAt: performance.now() });
    return conn;
  }

  private safeSend(signal: LinkSignal): void {
    try {
      this.o.sendSignal(signal);
    } catch (err) {
      this.log.warn({ err }, 'sendSignal threw');
    }
  }

  private onGenerationOpen(conn: LinkConnection): void {
    // The one it replaces retires: it keeps receiving for the grace, then ends.
    const opened = this.gens.adopt(conn);
    if (!opened) return;
    const { probe } = opened;
    this.generations++;
    if (probe) this.upgrades++;
    this.recovery.opened();
    this.health.markAlive(performance.now());
    this.control.sendCaps(conn);
    this.log.info({ gen: conn.gen, path: conn.path(), probe }, 'connection generation open');
    this.setState('connected');
    this.checkPath();
  }

  private onGenerationDead(conn: LinkConnection, reason: string): void {
    if (this.state === 'closed') return;
    this.log.info({ gen: conn.gen, reason }, 'connection generation dead');
    if (this.gens.pending?.conn === conn) {
      const { probe } = this.gens.pending;
      this.gens.dropPending();
      this.recovery.pendingFailed(probe);
    } else if (this.active === conn) {
      this.gens.endActive();
      this.recovery.cancelRestart();
      this.setState('reconnecting');
      this.checkPath();
      if (!this.gens.pending) this.recovery.scheduleRetry(0);
    }
  }

  private onConnectTimeout(conn: LinkConnection): void {
    if (this.gens.pending?.conn !== conn) return;
    const { probe } = this.gens.pending;
    this.log.info({ gen: conn.gen, plan: conn.plan, probe }, 'connection generation timed out');
    this.gens.dropPending();
    this.recovery.pendingFailed(probe);
  }

  // ---- keepalive and path -------------------------------------------------------------------------

  private startKeepalive(): void {
    if (this.keepaliveTimer) return;
    this.keepaliveTimer = setInterval(() => this.keepaliveTick(), this.o.keepaliveIntervalMs);
    this.keepaliveTimer.unref?.();
    this.recovery.startProbes();
  }

  private keepaliveTick(): void {
    const conn = this.active;
    this.checkPath();
    if (!conn) return;
    this.health.sampleTrack(conn, conn.packetTrackCounters());
    this.health.keepalive((id) => this.control.ping(conn, id), performance.now());
    this.recovery.keepaliveTick(conn, this.health.silentMs(performance.now()));
  }

  private checkPath(): void {
    const p = this.active?.path() ?? null;
    if (samePath(this.lastPath, p)) return;
    this.lastPath = p;
    this.log.info({ path: p }, 'path changed');
    this.events.path.emit(p);
    // Just landed on the relay: try for a direct path soon (when this side probes at all).
    if (p?.path === 'relay') this.recovery.landedOnRelay();
  }

  // ---- inbound ------------------------------------------------------------------------------------

  private onFrame(frame: Buffer): void {
    this.counters.received(frame.length);
    this.events.packet.emit(frame);
  }

  private onPong(id: number): void {
    this.health.onPong(id, performance.now());
    if (this.recovery.pong()) {
      this.setState('connected');
      this.checkPath();
    }
  }

  // ---- lifecycle ----------------------------------------------------------------------------------

  private setState(next: LinkState): void {
    if (next === this.state) return;
    const prev = this.state;
    this.state = next;
    this.since = Date.now();
    this.log.info({ state: next, previous: prev }, 'link state');
    this.events.state.emit(next, prev);
  }

  private async shutdown(reason: string, sendBye: boolean): Promise<void> {
    if (this.state === 'closed') return;
    if (sendBye && this.state !== 'new') this.safeSend({ kind: 'bye', reason });
    this.setState('closed');
    this.timers.clearAll();
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = null;
    this.recovery.stop();
    this.health.rejectPings(reason);
    const conns = this.gens.takeAll();
    this.checkPath();
    await Promise.all(conns.map((c) => c.close()));
    this.log.info({ reason }, 'link closed');
    this.events.close.emit(reason);
    this.events.clear();
  }
}
