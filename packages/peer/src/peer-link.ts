import { performance } from 'node:perf_hooks';
import { backoffDelay } from '@rtcmesh/limits';
import { type Logger, pino } from 'pino';
import { CandidateAddressFilter } from './address-filter.js';
import {
  type ConnectPlan,
  connectPlans,
  iceServersForPlan,
  newGeneration,
  planOfGeneration,
  turnUrlCount,
  turnUrls,
} from './connect-plan.js';
import { type ControlMessage, parseControlMessage } from './control-message.js';
import type {
  ChannelConfig,
  LinkConnection,
  PathInfo,
  PeerTransport,
  TransportPreference,
} from './link-connection.js';
import { LinkHealth, type PingResult } from './link-health.js';
import { type LinkSignal, parseLinkSignal } from './link-signal.js';
import { describePlan, type LinkStats, LinkTraffic } from './link-stats.js';
import { Listeners } from './listeners.js';
import { EndedGenerations, keepsOwnOffer, type PendingGeneration, samePath } from './negotiation.js';
import { type LinkState, type LinkTimings, linkTimings, type PeerLinkOptions } from './peer-link-options.js';
import { createLinkConnection } from './transport/create-link-connection.js';
import { chooseTransport } from './transport-choice.js';

export type { PingResult } from './link-health.js';
export type { LinkStats } from './link-stats.js';
export type { LinkState, PeerLinkOptions } from './peer-link-options.js';

/** First direct-path probe after a link lands on the relay. */
const EARLY_UPGRADE_MS = 3_000;

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
 * can only open over a direct path, and switches to it when it opens.
 */
export class PeerLink {
  readonly localId: string;
  readonly remoteId: string;
  readonly polite: boolean;
  private readonly o: LinkTimings;
  /** The configured preference; each generation's stack comes from transportFor. */
  readonly transport: TransportPreference;
  /** Why each open generation runs on its stack. */
  private readonly transportReasons = new WeakMap<LinkConnection, string>();
  private readonly turnUrls: string[];
  private readonly portRange: [number, number] | undefined;
  private readonly log: Logger;
  private readonly filter: CandidateAddressFilter;
  private readonly plans: ConnectPlan[];
  private readonly turnCount: number;
  private readonly relayOnly: boolean;
  private readonly packetTrack: boolean;
  private readonly capsSent = new WeakSet<LinkConnection>();

  private state: LinkState = 'new';
  private since = Date.now();
  private active: LinkConnection | null = null;
  private pending: PendingGeneration | null = null;
  private readonly retiring = new Set<LinkConnection>();
  private readonly endedGenerations = new EndedGenerations();
  private readonly timers = new Set<NodeJS.Timeout>();
  private keepaliveTimer: NodeJS.Timeout | null = null;
  private upgradeTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private attempt = 0;

  /** Keepalive, ping, RTT and loss (link-health.ts). */
  private readonly health: LinkHealth;
  private lastPath: PathInfo | null = null;

  private readonly counters = new LinkTraffic();
  private generations = 0;
  private iceRestarts = 0;
  private upgrades = 0;

  private readonly packetListeners: Listeners<[Buffer]>;
  private readonly controlListeners: Listeners<[unknown]>;
  private readonly stateListeners: Listeners<[LinkState, LinkState]>;
  private readonly pathListeners: Listeners<[PathInfo | null]>;
  private readonly closeListeners: Listeners<[string]>;

  constructor(options: PeerLinkOptions) {
    this.localId = options.localId;
    this.remoteId = options.remoteId;
    if (options.localId === options.remoteId) throw new Error('PeerLink: localId equals remoteId');
    this.polite = options.polite ?? options.localId < options.remoteId;
    this.o = linkTimings(options);
    this.portRange = options.icePortRange;
    this.log = (options.logger ?? pino({ level: 'silent' })).child({ peer: options.remoteId });
    this.filter =
      options.candidateAddresses instanceof CandidateAddressFilter
        ? options.candidateAddresses
        : new CandidateAddressFilter(options.candidateAddresses);
    this.relayOnly = options.iceTransportPolicy === 'relay';
    this.transport = options.transport ?? 'auto';
    this.packetTrack = options.packetTrack ?? true;
    this.turnUrls = turnUrls(options.iceServers);
    const plans = connectPlans(options.iceServers);
    this.plans = this.relayOnly ? plans.filter((p) => p.policy === 'relay') : plans;
    if (this.plans.length === 0) throw new Error('PeerLink: relay-only policy needs at least one turn: URL');
    this.turnCount = turnUrlCount(options.iceServers);
    const onError = (err: unknown) => this.log.error({ err }, 'listener threw');
    this.packetListeners = new Listeners(onError);
    this.controlListeners = new Listeners(onError);
    this.stateListeners = new Listeners(onError);
    this.pathListeners = new Listeners(onError);
    this.closeListeners = new Listeners(onError);
    this.health = new LinkHealth({
      keepaliveIntervalMs: this.o.keepaliveIntervalMs,
      pingTimeoutMs: this.o.pingTimeoutMs,
      remoteId: this.remoteId,
    });
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
    return this.packetListeners.add(cb);
  }
  onControl(cb: (msg: unknown) => void): () => void {
    return this.controlListeners.add(cb);
  }
  onState(cb: (state: LinkState, previous: LinkState) => void): () => void {
    return this.stateListeners.add(cb);
  }
  onPath(cb: (path: PathInfo | null) => void): () => void {
    return this.pathListeners.add(cb);
  }
  onClose(cb: (reason: string) => void): () => void {
    return this.closeListeners.add(cb);
  }

  /** Sends one frame. False means it was dropped (no open link, backpressure, oversize) and counted. */
  sendPacket(frame: Buffer): boolean {
    if (frame.length > this.o.maxFrameBytes) {
      this.counters.oversize++;
      return false;
    }
    const conn = this.active;
    if (!conn) {
      this.counters.notConnected++;
      return false;
    }
    const r = conn.sendPacket(frame);
    if (r === 'sent') {
      this.counters.sent(frame.length);
      return true;
    }
    if (r === 'backpressure') this.counters.backpressure++;
    else this.counters.notConnected++;
    return false;
  }

  /** Sends a JSON-serialisable message over the reliable control channel. False when not connected. */
  sendControl(body: unknown): boolean {
    const text = JSON.stringify({ t: 'msg', body } satisfies ControlMessage);
    return this.active?.sendControl(text) ?? false;
  }

  /** Round trip over the control channel of the active generation; rejected if the link closes first. */
  ping(): Promise<PingResult> {
    const conn = this.active;
    if (!conn) return Promise.reject(new Error(`link to ${this.remoteId} is ${this.state}`));
    return this.health.ping(
      (id) => conn.sendControl(JSON.stringify({ t: 'ping', id } satisfies ControlMessage)),
      () => this.active?.path()?.path ?? null,
      performance.now(),
    );
  }

  stats(): LinkStats {
    const path = this.active?.path() ?? null;
    return {
      state: this.state,
      transport: this.active?.transport ?? this.transportFor(this.plans[0]!).transport,
      transportReason:
        (this.active && this.transportReasons.get(this.active)) ?? this.transportFor(this.plans[0]!).reason,
      path: path?.path ?? null,
      localCandidateType: path?.localCandidateType ?? null,
      remoteCandidateType: path?.remoteCandidateType ?? null,
      remoteAddress: path?.remoteAddress ?? null,
      rttMs: this.health.rttMs,
      lossPct: this.health.keepaliveLossPct(performance.now()),
      packetPath: this.active?.packetPath() ?? null,
      pathLossPct: this.active
        ? this.health.trackLossPct(this.active, this.active.packetTrackCounters())
        : null,
      queuedBytes: this.active?.localQueueBytes() ?? null,
      ...this.counters.stats(),
      connectPlan: this.active ? describePlan(this.active.plan) : null,
      since: this.since,
      generations: this.generations,
      iceRestarts: this.iceRestarts,
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
    const known = this.findGeneration(gen);
    if (known) {
      known.handleSignal(signal);
      return;
    }
    if (
      signal.kind !== 'description' ||
      signal.description.type !== 'offer' ||
      this.endedGenerations.has(gen)
    ) {
      this.log.debug({ gen, kind: signal.kind }, 'signal for unknown or ended generation ignored');
      return;
    }
    if (this.pending) {
      if (keepsOwnOffer(this.pending, this.polite, performance.now())) {
        this.log.debug({ gen, mine: this.pending.conn.gen }, 'new-generation glare: keeping mine (impolite)');
        return;
      }
      this.log.debug({ gen, mine: this.pending.conn.gen }, 'new-generation glare: adopting remote');
      this.dropPending();
    }
    if (this.state === 'new') {
      this.setState('connecting');
      this.startKeepalive();
    }
    const plan = planOfGeneration(gen, this.turnCount);
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
    const conn = this.active;
    if (mode === 'ice' && conn?.canRestartIce) {
      this.iceRestarts++;
      conn.restartIce();
      return;
    }
    if (this.pending) this.dropPending();
    const plan = conn?.plan.policy === 'direct' ? this.plans[0]! : (conn?.plan ?? this.plans[0]!);
    this.startGeneration(plan, undefined, { own: true, probe: false });
  }

  /**
   * The signaling server could not deliver a signal to the peer (it was offline): the generation being
   * negotiated may never have reached it, so a new offer from the peer is adopted rather than refused
   * as glare (a restarted peer and this side would otherwise each wait out a connect timeout).
   */
  signalUndelivered(): void {
    if (this.pending?.own) this.pending.undelivered = true;
  }

  /** Closes the link, tells the remote side (bye) and frees every timer and socket. */
  close(reason = 'closed'): Promise<void> {
    return this.shutdown(reason, true);
  }

  // ---- generations ------------------------------------------------------------------------------

  private findGeneration(gen: string): LinkConnection | undefined {
    if (this.pending?.conn.gen === gen) return this.pending.conn;
    if (this.active?.gen === gen) return this.active;
    for (const c of this.retiring) if (c.gen === gen) return c;
    return undefined;
  }

  private startGeneration(plan: ConnectPlan, gen: string | undefined, how: { own: boolean; probe: boolean }) {
    const id = gen ?? newGeneration(plan);
    this.log.info({ gen: id, plan, own: how.own }, 'starting connection generation');
    const stack = this.transportFor(plan);
    const conn: LinkConnection = createLinkConnection(stack.transport, {
      gen: id,
      plan,
      polite: this.polite,
      initiator: gen === undefined,
      iceServers: iceServersForPlan(this.o.iceServers, plan),
      sctpMtu: this.o.sctpMtu,
      maxBufferedBytes: this.o.maxBufferedBytes,
      packetTrack: this.packetTrack,
      icePortRange: this.portRange,
      addressFilter: this.filter,
      logger: this.log,
      sendSignal: (s) => {
        if (this.state !== 'closed') this.safeSend(s);
      },
      onOpen: () => this.onGenerationOpen(conn),
      onDead: (reason) => this.onGenerationDead(conn, reason),
      onPacket: (frame) => this.onFrame(frame),
      onControl: (text) => this.onControlText(conn, text),
      onPacketTrackReady: () => this.sendCaps(conn),
    });
    this.transportReasons.set(conn, stack.reason);
    const timer = this.timer(() => this.onConnectTimeout(conn), this.o.connectTimeoutMs);
    this.pending = { conn, own: how.own, probe: how.probe, timer, startedAt: performance.now() };
    return conn;
  }

  /** The stack of a generation with this plan, and why (transport-choice.ts). */
  private transportFor(plan: ConnectPlan): { transport: PeerTransport; reason: string } {
    return chooseTransport(this.transport, plan, this.turnUrls);
  }

  private safeSend(signal: LinkSignal): void {
    try {
      this.o.sendSignal(signal);
    } catch (err) {
      this.log.warn({ err }, 'sendSignal threw');
    }
  }

  private onGenerationOpen(conn: LinkConnection): void {
    if (this.pending?.conn !== conn) return;
    const { probe } = this.pending;
    this.clearTimer(this.pending.timer);
    this.pending = null;
    const old = this.active;
    this.active = conn;
    this.generations++;
    if (probe) this.upgrades++;
    this.attempt = 0;
    this.clearRestart();
    this.health.markAlive(performance.now());
    if (old) this.retire(old);
    this.sendCaps(conn);
    this.log.info({ gen: conn.gen, path: conn.path(), probe }, 'connection generation open');
    this.setState('connected');
    this.checkPath();
  }

  private onGenerationDead(conn: LinkConnection, reason: string): void {
    if (this.state === 'closed') return;
    this.log.info({ gen: conn.gen, reason }, 'connection generation dead');
    if (this.pending?.conn === conn) {
      const { own, probe } = this.pending;
      this.dropPending();
      if (!probe && !this.hasWorkingActive()) this.failedAttempt(own);
    } else if (this.active === conn) {
      this.active = null;
      this.endGeneration(conn);
      this.clearRestart();
      this.setState('reconnecting');
      this.checkPath();
      if (!this.pending) this.scheduleRetry(0);
    }
  }

  private onConnectTimeout(conn: LinkConnection): void {
    if (this.pending?.conn !== conn) return;
    const { own, probe } = this.pending;
    this.log.info({ gen: conn.gen, plan: conn.plan, probe }, 'connection generation timed out');
    this.dropPending();
    // A probe failing, or a superseding attempt failing while the active generation works, is harmless.
    if (probe || this.hasWorkingActive()) return;
    this.failedAttempt(own);
  }

  private hasWorkingActive(): boolean {
    return this.active !== null && this.state === 'connected';
  }

  private failedAttempt(_own: boolean): void {
    this.attempt++;
    const cycle = Math.floor(this.attempt / this.plans.length);
    // One quick pass over every plan (all, relay via each TURN URL), then exponential backoff per pass.
    const delay =
      cycle === 0
        ? Math.min(250, this.o.retryMinMs)
        : backoffDelay(cycle - 1, this.o.retryMinMs, this.o.retryMaxMs);
    this.scheduleRetry(delay);
  }

  private scheduleRetry(delayMs: number): void {
    if (this.retryTimer) this.clearTimer(this.retryTimer);
    this.retryTimer = this.timer(() => {
      this.retryTimer = null;
      if (this.state === 'closed' || this.pending) return;
      const plan = this.plans[this.attempt % this.plans.length]!;
      this.startGeneration(plan, undefined, { own: true, probe: false });
    }, delayMs);
  }

  private dropPending(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    this.clearTimer(p.timer);
    this.endGeneration(p.conn);
  }

  /** Closes a generation and remembers its id, so late signals for it never start a new one. */
  private endGeneration(conn: LinkConnection): void {
    this.endedGenerations.add(conn.gen);
    void conn.close();
  }

  private retire(conn: LinkConnection): void {
    this.retiring.add(conn);
    this.timer(() => {
      this.retiring.delete(conn);
      this.endGeneration(conn);
    }, this.o.retireGraceMs);
  }

  // ---- keepalive, restart, upgrade ----------------------------------------------------------------

  private startKeepalive(): void {
    if (this.keepaliveTimer) return;
    this.keepaliveTimer = setInterval(() => this.keepaliveTick(), this.o.keepaliveIntervalMs);
    this.keepaliveTimer.unref?.();
    if (this.o.upgradeIntervalMs > 0 && !this.polite && !this.relayOnly) {
      this.upgradeTimer = setInterval(() => this.upgradeTick(), this.o.upgradeIntervalMs);
    }
  }

  private keepaliveTick(): void {
    const conn = this.active;
    this.checkPath();
    if (!conn) return;
    this.health.sampleTrack(conn, conn.packetTrackCounters());
    this.health.keepalive(
      (id) => conn.sendControl(JSON.stringify({ t: 'ping', id } satisfies ControlMessage)),
      performance.now(),
    );
    const silentMs = this.health.silentMs(performance.now());
    if (this.state === 'connected' && silentMs > this.o.keepaliveIntervalMs * this.o.keepaliveMissLimit) {
      this.pathDown(conn, silentMs);
    }
  }

  private pathDown(conn: LinkConnection, silentMs: number): void {
    const restart = conn.canRestartIce;
    this.log.info(
      { gen: conn.gen, silentMs: Math.round(silentMs) },
      restart ? 'keepalive lost: ICE restart' : 'keepalive lost: new generation',
    );
    this.setState('reconnecting');
    if (restart) {
      this.iceRestarts++;
      conn.restartIce();
    }
    this.clearRestart();
    // Without ICE restart (libdatachannel) the next generation starts now; the old one stays active.
    this.restartTimer = this.timer(
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
        this.startGeneration(plan, undefined, { own: true, probe: false });
      },
      restart ? this.o.restartTimeoutMs : 0,
    );
  }

  private clearRestart(): void {
    if (this.restartTimer) this.clearTimer(this.restartTimer);
    this.restartTimer = null;
  }

  private upgradeTick(): void {
    if (this.state !== 'connected' || this.pending) return;
    const path = this.active?.path();
    if (path?.path !== 'relay') return;
    this.log.info('relayed: probing for a direct path');
    this.startGeneration({ policy: 'direct', turnIndex: 0 }, undefined, { own: true, probe: true });
  }

  private checkPath(): void {
    const p = this.active?.path() ?? null;
    if (samePath(this.lastPath, p)) return;
    this.lastPath = p;
    this.log.info({ path: p }, 'path changed');
    this.pathListeners.emit(p);
    // Just landed on the relay (ICE nominated the relay pair first, or a failover): try for a direct path
    // soon, rather than a full upgrade interval later. A failed probe costs nothing: the relay keeps going.
    if (p?.path === 'relay' && this.upgradeTimer) {
      const delay = Math.min(EARLY_UPGRADE_MS, this.o.upgradeIntervalMs);
      this.timer(() => this.upgradeTick(), delay);
    }
  }

  /**
   * Tells the peer this side receives frames on the packet track, once per generation: when it is open
   * and the track is keyed, whichever comes last.
   */
  private sendCaps(conn: LinkConnection): void {
    if (!conn.isOpen || !conn.packetTrackReady() || this.capsSent.has(conn)) return;
    if (conn.sendControl(JSON.stringify({ t: 'caps', track: true } satisfies ControlMessage))) {
      this.capsSent.add(conn);
      this.log.debug({ gen: conn.gen }, 'packet track ready: told the peer');
    }
  }

  // ---- inbound ------------------------------------------------------------------------------------

  private onFrame(frame: Buffer): void {
    this.counters.received(frame.length);
    this.packetListeners.emit(frame);
  }

  private onControlText(conn: LinkConnection, text: string): void {
    const msg = parseControlMessage(text);
    if (!msg) {
      this.log.debug('invalid control message ignored');
      return;
    }
    if (msg.t === 'ping') {
      conn.sendControl(JSON.stringify({ t: 'pong', id: msg.id } satisfies ControlMessage));
    } else if (msg.t === 'pong') {
      this.onPong(msg.id);
    } else if (msg.t === 'caps') {
      conn.setPeerReceivesPacketTrack(msg.track);
      this.log.info({ gen: conn.gen, packetPath: conn.packetPath() }, 'packet path');
    } else {
      this.controlListeners.emit(msg.body);
    }
  }

  private onPong(id: number): void {
    this.health.onPong(id, performance.now());
    if (this.state === 'reconnecting' && this.active) {
      this.clearRestart();
      // The ICE restart recovered the active generation: a replacement negotiating meanwhile is moot.
      if (this.pending && !this.pending.probe && this.pending.own) this.dropPending();
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
    this.stateListeners.emit(next, prev);
  }

  private timer(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.state !== 'closed') fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private clearTimer(t: NodeJS.Timeout): void {
    clearTimeout(t);
    this.timers.delete(t);
  }

  private async shutdown(reason: string, sendBye: boolean): Promise<void> {
    if (this.state === 'closed') return;
    if (sendBye && this.state !== 'new') this.safeSend({ kind: 'bye', reason });
    this.setState('closed');
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.keepaliveTimer) clearInterval(this.keepaliveTimer);
    if (this.upgradeTimer) clearInterval(this.upgradeTimer);
    this.keepaliveTimer = this.upgradeTimer = this.retryTimer = this.restartTimer = null;
    this.health.rejectPings(reason);
    const conns = [this.active, this.pending?.conn, ...this.retiring].filter((c): c is LinkConnection => !!c);
    this.active = null;
    this.pending = null;
    this.retiring.clear();
    this.checkPath();
    await Promise.all(conns.map((c) => c.close()));
    this.log.info({ reason }, 'link closed');
    this.closeListeners.emit(reason);
    for (const l of [this.packetListeners, this.controlListeners, this.stateListeners, this.pathListeners])
      l.clear();
    this.closeListeners.clear();
  }
}
