import {
  type BrowserProxySession,
  type ClientBrowserSignal,
  CloseCode,
  type FeedEventInput,
  FeedEventSchema,
  type ServerMessage,
} from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { ConsoleSessionEvent } from '../console/sessions.js';
import type { Feed } from '../feed/feed.js';
import type { Metrics } from '../metrics/metrics.js';
import type { LatestTelemetry } from '../telemetry/latest.js';
import type { Hub } from '../ws/hub.js';
import type { MessageBus } from './bus.js';
import { type BusEnvelope, type BusMessage, isNewer, type PresenceEntry } from './messages.js';

export type ClusterDeps = {
  bus: MessageBus;
  hub: Hub;
  feed: Feed;
  telemetry: LatestTelemetry;
  metrics: Metrics;
  log: Logger;
  /**
   * How often each other instance's session registry is read back and compared with this view
   * (default 30 s): repairs what a lost bus message (Redis reconnect) left wrong.
   */
  resyncMs?: number;
};

/**
 * This instance's part in a set of signaling instances: the presence directory (which instance holds
 * each online node's session, local ones included) and cross-instance delivery of what used to be
 * local hub operations (broadcast, relay, kick, console feed).
 *
 * Presence rules, applied identically on every instance so all converge:
 * - the newest session of a node wins everywhere (`since`, then instance id): an older local session
 *   is closed (`session-replaced`) when a newer one appears elsewhere;
 * - `peer-left` is only announced for the session the directory still holds, so an old session ending
 *   after its node moved to another instance does not mark it offline;
 * - an instance whose heartbeat expired (SIGKILL, network loss) loses its sessions from every other
 *   instance's view at the next sweep (heartbeat interval): within ttl + interval, 8 s by default.
 *
 * The relay hot path is a map lookup and one publish: no database round trip.
 */
export class Cluster {
  private readonly directory = new Map<string, PresenceEntry>();
  private known = new Set<string>();
  /** When each remote instance's registry was last compared with the directory. */
  private readonly syncedAt = new Map<string, number>();
  /** When each directory entry arrived (local clock): a reconcile only drops entries older than its read. */
  private readonly arrivedAt = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private stopped = false;
  /** Browser links (browser-peer/relay.ts) for agents on other instances (set by the server). */
  onBrowserOffer: (
    from: string,
    linkId: string,
    nodeId: string,
    sdp: string,
    proxy?: BrowserProxySession,
  ) => void = () => undefined;
  onBrowserAnswer: (nodeId: string, signal: ClientBrowserSignal) => void = () => undefined;
  /** Applies a console sign-in change made on another instance (set by the server). */
  onConsoleSession: (e: ConsoleSessionEvent) => void = () => undefined;
  /** Resolves a node to the `peer-joined` message its peers should get (the database knows it). */
  peerJoinedRaw: (nodeId: string) => Promise<string | null> = async () => null;

  constructor(private readonly deps: ClusterDeps) {}

  private lastSince = 0;

  /** A session timestamp: wall-clock ms, strictly increasing on this instance. */
  nextSince(): number {
    this.lastSince = Math.max(Date.now(), this.lastSince + 1);
    return this.lastSince;
  }

  get instanceId(): string {
    return this.deps.bus.instanceId;
  }

  get bus(): MessageBus {
    return this.deps.bus;
  }

  async start(): Promise<void> {
    await this.deps.bus.start({
      onMessage: (e) => this.onMessage(e),
      localSessions: () => [...this.directory.values()].filter((e) => e.instanceId === this.instanceId),
    });
    await this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.deps.bus.heartbeat.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.deps.bus.close();
  }

  // ---- the shared view ----

  entry(nodeId: string): PresenceEntry | undefined {
    return this.directory.get(nodeId);
  }

  isOnline(nodeId: string): boolean {
    return this.directory.has(nodeId);
  }

  onlineCount(networkId: string): number {
    let n = 0;
    for (const e of this.directory.values()) if (e.networkId === networkId) n++;
    return n;
  }

  /** Sessions per instance, as this instance sees them. */
  sessionsByInstance(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.directory.values()) out[e.instanceId] = (out[e.instanceId] ?? 0) + 1;
    return out;
  }

  // ---- local sessions ----

  /** A local session authenticated: record it everywhere and tell every peer (`raw` = peer-joined). */
  sessionOnline(entry: Omit<PresenceEntry, 'instanceId'>, raw: string): void {
    const e: PresenceEntry = { ...entry, instanceId: this.instanceId };
    this.directory.set(e.nodeId, e);
    this.deps.bus.registerSession(e);
    this.deps.hub.broadcastRaw(e.networkId, raw, e.nodeId);
    this.deps.bus.publish({ t: 'online', entry: e, raw });
  }

  /**
   * A local session (authenticated at `since`) ended. Returns false when it was not the node's current
   * session any more (a newer one lives elsewhere): then nothing is announced.
   */
  sessionOffline(nodeId: string, networkId: string, since: number, lastSeen: number): boolean {
    const cur = this.directory.get(nodeId);
    if (!cur || cur.instanceId !== this.instanceId || cur.since !== since) return false;
    this.directory.delete(nodeId);
    this.deps.bus.unregisterSession(nodeId);
    this.deps.hub.broadcast(networkId, { type: 'peer-left', nodeId, lastSeen }, nodeId);
    this.deps.bus.publish({ t: 'offline', nodeId, networkId, instanceId: this.instanceId, since, lastSeen });
    return true;
  }

  // ---- delivery ----

  broadcast(networkId: string, msg: ServerMessage, exceptNodeId?: string): void {
    const raw = JSON.stringify(msg);
    this.deps.hub.broadcastRaw(networkId, raw, exceptNodeId);
    this.deps.bus.publish({ t: 'broadcast', networkId, except: exceptNodeId ?? null, raw });
  }

  /** Sends `msg` to node `to`'s session, here or on the instance that holds it; false if it is offline. */
  sendTo(networkId: string, to: string, msg: ServerMessage): boolean {
    const local = this.deps.hub.get(to);
    if (local) {
      if (local.networkId !== networkId) return false;
      local.send(msg);
      return true;
    }
    return this.relay(networkId, to, JSON.stringify(msg));
  }

  /** Forwards a relayed signal (`raw`, already stamped) to the instance holding `to`; false if none does. */
  relay(networkId: string, to: string, raw: string): boolean {
    const e = this.directory.get(to);
    if (!e || e.networkId !== networkId || e.instanceId === this.instanceId) return false;
    this.deps.bus.publish({ t: 'signal', to, networkId, raw }, e.instanceId);
    return true;
  }

  /** Closes the node's session on whichever instance holds it (node removed by an admin). */
  kick(nodeId: string, message: string): void {
    const bye = { type: 'bye', reason: 'node-removed', message } as const;
    this.forget(nodeId);
    this.deps.hub.get(nodeId)?.end(CloseCode.NodeRemoved, bye);
    this.deps.bus.publish({
      t: 'kick',
      nodeId,
      code: CloseCode.NodeRemoved,
      reason: 'node-removed',
      message,
    });
  }

  /** A console feed event on every instance (each console connects to one of them). */
  publishFeed(input: FeedEventInput): void {
    this.deps.feed.publish(input);
    this.deps.bus.publish({ t: 'feed', event: input as Record<string, unknown> });
  }

  /** A console sign-in, sign-out or revocation here: every instance must honour it at once. */
  publishConsoleSession(e: ConsoleSessionEvent): void {
    this.deps.bus.publish({ t: 'console', event: e });
  }

  // ---- from other instances ----

  private onMessage(env: BusEnvelope): void {
    if (this.stopped) return;
    try {
      this.apply(env.from, env.msg);
    } catch (err) {
      this.deps.log.error({ err, from: env.from, t: env.msg.t }, 'bus message handler failed');
    }
  }

  private apply(from: string, m: BusMessage): void {
    const hub = this.deps.hub;
    switch (m.t) {
      case 'online': {
        if (m.entry.instanceId !== from) return;
        if (!this.accept(m.entry)) return;
        hub.broadcastRaw(m.entry.networkId, m.raw, m.entry.nodeId);
        return;
      }
      case 'offline': {
        const cur = this.directory.get(m.nodeId);
        if (!cur || cur.instanceId !== m.instanceId || cur.since !== m.since || m.instanceId !== from) return;
        this.directory.delete(m.nodeId);
        this.arrivedAt.delete(m.nodeId);
        hub.broadcast(m.networkId, { type: 'peer-left', nodeId: m.nodeId, lastSeen: m.lastSeen }, m.nodeId);
        return;
      }
      case 'broadcast':
        hub.broadcastRaw(m.networkId, m.raw, m.except ?? undefined);
        return;
      case 'signal': {
        const s = hub.get(m.to);
        if (s && s.networkId === m.networkId) {
          s.sendRaw(m.raw);
          this.deps.metrics.relayed.inc();
        }
        return;
      }
      case 'kick':
        this.forget(m.nodeId);
        hub.get(m.nodeId)?.end(m.code, { type: 'bye', reason: m.reason, message: m.message });
        return;
      case 'browser-offer':
        this.onBrowserOffer(from, m.linkId, m.nodeId, m.sdp, m.proxy);
        return;
      case 'browser-answer':
        this.onBrowserAnswer(m.nodeId, m.signal);
        return;
      case 'console':
        this.onConsoleSession(m.event);
        return;
      case 'feed': {
        const r = FeedEventSchema.safeParse({ ...m.event, seq: 0, at: 0 });
        if (!r.success) return;
        const { seq: _seq, at: _at, ...input } = r.data;
        if (input.kind === 'telemetry')
          this.deps.telemetry.record(input.networkId, input.nodeId, input.links, Date.now(), {
            ...(input.partial ? { partial: true } : {}),
            ...(input.gone ? { gone: input.gone } : {}),
          });
        if (input.kind === 'node' && input.action === 'removed') this.deps.telemetry.forgetNode(input.nodeId);
        this.deps.feed.publish(input as FeedEventInput);
        return;
      }
    }
  }

  /** Drops a node from the directory (and, when the session was ours, from the shared registry). */
  private forget(nodeId: string): void {
    if (this.directory.get(nodeId)?.instanceId === this.instanceId) this.deps.bus.unregisterSession(nodeId);
    this.directory.delete(nodeId);
    this.arrivedAt.delete(nodeId);
  }

  /**
   * Takes `e` into the directory when it is newer than what is there; an older local session of the
   * node is closed without announcing it offline (the node is online, elsewhere). Returns whether
   * `e` was taken.
   */
  private accept(e: PresenceEntry): boolean {
    const cur = this.directory.get(e.nodeId);
    if (cur && !isNewer(e, cur)) return false;
    if (cur?.instanceId === this.instanceId) {
      const local = this.deps.hub.get(e.nodeId);
      if (local) {
        this.deps.hub.remove(local);
        this.deps.metrics.sessions.set(this.deps.hub.size);
        this.deps.bus.unregisterSession(e.nodeId);
        local.end(CloseCode.SessionReplaced, {
          type: 'bye',
          reason: 'session-replaced',
          message: 'a newer session authenticated as this node on another server instance',
        });
      }
    }
    this.directory.set(e.nodeId, e);
    this.arrivedAt.set(e.nodeId, Date.now());
    return true;
  }

  /**
   * Compares the directory with instance `id`'s registry: sessions missing here are added (peers here
   * get `peer-joined`); with `dropMissing`, entries of `id` that its registry no longer has, and that
   * arrived before the read began, are dropped (peers here get `peer-left`).
   */
  private async reconcile(id: string, dropMissing: boolean): Promise<void> {
    const readAt = Date.now();
    const registered = await this.deps.bus.sessionsOf(id);
    const present = new Set<string>();
    for (const e of registered) {
      present.add(e.nodeId);
      const had = this.directory.has(e.nodeId);
      if (!this.accept(e) || had || this.deps.hub.onlineCount(e.networkId) === 0) continue;
      const raw = await this.peerJoinedRaw(e.nodeId);
      if (raw) this.deps.hub.broadcastRaw(e.networkId, raw, e.nodeId);
    }
    if (!dropMissing) return;
    for (const [nodeId, e] of this.directory) {
      if (e.instanceId !== id || present.has(nodeId) || (this.arrivedAt.get(nodeId) ?? 0) >= readAt) continue;
      this.directory.delete(nodeId);
      this.arrivedAt.delete(nodeId);
      this.deps.hub.broadcast(e.networkId, { type: 'peer-left', nodeId, lastSeen: Date.now() }, nodeId);
    }
  }

  /**
   * Every heartbeat interval: instances whose heartbeat expired lose their sessions (peers here get
   * `peer-left`); instances not seen before (started, or back after a bus outage) are read in.
   */
  async sweep(): Promise<void> {
    if (this.sweeping || this.stopped) return;
    this.sweeping = true;
    try {
      const live = await this.deps.bus.liveInstances();
      const now = Date.now();
      for (const [nodeId, e] of this.directory) {
        // Our own sessions are in our hub: this instance never expires itself (its heartbeat write may
        // have failed while it kept serving; dropping them told their peers they left, for good,
        // since reconcile never reads our own registry back).
        if (e.instanceId === this.instanceId || live.has(e.instanceId)) continue;
        this.directory.delete(nodeId);
        this.arrivedAt.delete(nodeId);
        this.deps.hub.broadcast(e.networkId, { type: 'peer-left', nodeId, lastSeen: now }, nodeId);
      }
      const resyncMs = this.deps.resyncMs ?? 30_000;
      for (const id of live) {
        if (id === this.instanceId) continue;
        if (this.known.has(id) && now - (this.syncedAt.get(id) ?? 0) < resyncMs) continue;
        await this.reconcile(id, this.known.has(id));
        this.syncedAt.set(id, now);
      }
      for (const id of this.syncedAt.keys()) if (!live.has(id)) this.syncedAt.delete(id);
      this.known = live;
    } catch (err) {
      // The bus is unreachable: keep the last view (its members cannot be reached either way).
      this.deps.log.warn({ err: (err as Error).message }, 'presence sweep failed');
    } finally {
      this.sweeping = false;
    }
  }
}
