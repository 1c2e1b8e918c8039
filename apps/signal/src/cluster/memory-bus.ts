import { randomBytes } from 'node:crypto';
import { type BusHandlers, DEFAULT_HEARTBEAT, type HeartbeatTiming, type MessageBus } from './bus.js';
import { type BusMessage, decodeEnvelope, encodeEnvelope, type PresenceEntry } from './messages.js';

type Member = { handlers: BusHandlers | null; sessions: Map<string, PresenceEntry>; expiresAt: number };

/** The shared medium of in-process buses: one per process by default, shared by tests that run several instances. */
export class MemoryBusNetwork {
  readonly members = new Map<string, Member>();
}

export function newInstanceId(): string {
  return `i-${randomBytes(6).toString('hex')}`;
}

/**
 * In-process bus. Alone (the default) it is a single instance that publishes to nobody; several
 * sharing one MemoryBusNetwork behave like instances on Redis: messages go through encode/decode
 * (so the same validation runs), delivery is asynchronous and ordered per sender, and liveness is a
 * heartbeat with a TTL. `crash()` stops one as SIGKILL would.
 */
export class MemoryBus implements MessageBus {
  readonly kind = 'memory' as const;
  readonly instanceId: string;
  readonly heartbeat: HeartbeatTiming;
  private timer: NodeJS.Timeout | undefined;
  /** Tests: cut off from the others (partition()), as in a Redis outage. */
  private cut = false;

  constructor(
    private readonly network: MemoryBusNetwork = new MemoryBusNetwork(),
    opts: { instanceId?: string; heartbeat?: HeartbeatTiming } = {},
  ) {
    this.instanceId = opts.instanceId ?? newInstanceId();
    this.heartbeat = opts.heartbeat ?? DEFAULT_HEARTBEAT;
  }

  private get self(): Member | undefined {
    return this.network.members.get(this.instanceId);
  }

  async start(handlers: BusHandlers): Promise<void> {
    this.network.members.set(this.instanceId, {
      handlers,
      sessions: new Map(),
      expiresAt: Date.now() + this.heartbeat.ttlMs,
    });
    this.timer = setInterval(() => {
      const me = this.self;
      if (me && !this.cut) me.expiresAt = Date.now() + this.heartbeat.ttlMs;
    }, this.heartbeat.intervalMs);
    this.timer.unref();
  }

  publish(msg: BusMessage, to?: string): void {
    if (!this.self?.handlers || this.cut) return;
    const raw = encodeEnvelope({ from: this.instanceId, msg });
    const targets =
      to === undefined
        ? [...this.network.members].filter(([id]) => id !== this.instanceId).map(([, m]) => m)
        : [this.network.members.get(to)].filter((m) => m !== undefined);
    for (const m of targets) {
      queueMicrotask(() => {
        const e = decodeEnvelope(raw);
        if (e && m.handlers) m.handlers.onMessage(e);
      });
    }
  }

  registerSession(e: PresenceEntry): void {
    this.self?.sessions.set(e.nodeId, e);
  }

  unregisterSession(nodeId: string): void {
    this.self?.sessions.delete(nodeId);
  }

  stats(): { dropped: number; invalid: number } {
    return { dropped: 0, invalid: 0 };
  }

  async liveInstances(): Promise<Set<string>> {
    const now = Date.now();
    return new Set([...this.network.members].filter(([, m]) => m.expiresAt > now).map(([id]) => id));
  }

  async sessionsOf(instanceId: string): Promise<PresenceEntry[]> {
    const m = this.network.members.get(instanceId);
    return m && m.expiresAt > Date.now() ? [...m.sessions.values()] : [];
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.network.members.delete(this.instanceId);
  }

  /**
   * Tests: cut off from the bus, as in a Redis outage: no heartbeat (the others drop its sessions when
   * its TTL runs out) and nothing it publishes arrives, until heal().
   */
  partition(): void {
    this.cut = true;
  }

  /** Tests: back on the bus: the heartbeat resumes and the others read its sessions in again. */
  heal(): void {
    this.cut = false;
    const me = this.self;
    if (me) me.expiresAt = Date.now() + this.heartbeat.ttlMs;
  }

  /** Tests: dies without a word, as SIGKILL would; the others notice when the heartbeat expires. */
  crash(): void {
    clearInterval(this.timer);
    const me = this.self;
    if (me) me.handlers = null;
  }
}
