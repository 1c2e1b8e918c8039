import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type BusHandlers, DEFAULT_HEARTBEAT, type HeartbeatTiming, type MessageBus } from './bus.js';
import { newInstanceId } from './memory-bus.js';
import {
  type BusMessage,
  decodeEnvelope,
  encodeEnvelope,
  type PresenceEntry,
  PresenceEntrySchema,
} from './messages.js';

export type RedisBusOptions = {
  instanceId?: string;
  heartbeat?: HeartbeatTiming;
  /** Key and channel prefix (default "rtcmesh"): several meshes, or test files, can share one Redis. */
  prefix?: string;
  log?: Logger;
};

/**
 * The bus on Redis. Messages: pub/sub on `<prefix>:all` (every instance) and `<prefix>:to:<id>` (one
 * instance). Liveness: each instance sets `<prefix>:instance:<id>` with a TTL (6 s) every 2 s and keeps
 * its sessions in the hash `<prefix>:sessions:<id>` with the same TTL, so a SIGKILLed instance vanishes
 * from the shared view by itself; `<prefix>:instances` lists the ids ever seen (dead ones are pruned).
 *
 * Nothing is queued while Redis is unreachable (commands fail at once, counted in `dropped`); the
 * session hash is rewritten from the hub at the first heartbeat that gets through again.
 */
export class RedisBus implements MessageBus {
  readonly kind = 'redis' as const;
  readonly instanceId: string;
  readonly heartbeat: HeartbeatTiming;
  /** Messages not sent (Redis unreachable) and messages received that failed validation. */
  dropped = 0;
  invalid = 0;
  private readonly prefix: string;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private handlers: BusHandlers | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The session hash may be stale (a write failed, or the hash expired while Redis was away). */
  private dirty = true;
  private closed = false;

  constructor(
    url: string,
    private readonly opts: RedisBusOptions = {},
  ) {
    this.instanceId = opts.instanceId ?? newInstanceId();
    this.heartbeat = opts.heartbeat ?? DEFAULT_HEARTBEAT;
    this.prefix = opts.prefix ?? 'rtcmesh';
    const common = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 5000,
      retryStrategy: (times: number) => Math.min(200 * times, 2000),
    };
    this.pub = new Redis(url, common);
    // A subscriber connection cannot run other commands; the offline queue lets it re-subscribe.
    this.sub = new Redis(url, { ...common, enableOfflineQueue: true });
    for (const c of [this.pub, this.sub])
      c.on('error', (err: Error) => opts.log?.debug({ err: err.message }, 'redis connection error'));
  }

  private key(kind: 'instance' | 'sessions', id: string): string {
    return `${this.prefix}:${kind}:${id}`;
  }
  private get allChannel(): string {
    return `${this.prefix}:all`;
  }
  private channelOf(id: string): string {
    return `${this.prefix}:to:${id}`;
  }

  async start(handlers: BusHandlers): Promise<void> {
    this.handlers = handlers;
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    this.sub.on('message', (_channel: string, raw: string) => {
      const e = decodeEnvelope(raw);
      if (!e) {
        this.invalid++;
        this.opts.log?.warn({ bytes: raw.length }, 'invalid message on the bus dropped');
        return;
      }
      if (e.from === this.instanceId) return;
      this.handlers?.onMessage(e);
    });
    await this.sub.subscribe(this.allChannel, this.channelOf(this.instanceId));
    await this.beat();
    this.timer = setInterval(() => void this.beat(), this.heartbeat.intervalMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    if (this.closed) return;
    const ttl = this.heartbeat.ttlMs;
    const sessions = this.key('sessions', this.instanceId);
    try {
      const m = this.pub.multi().set(this.key('instance', this.instanceId), String(Date.now()), 'PX', ttl);
      m.sadd(`${this.prefix}:instances`, this.instanceId);
      if (this.dirty) {
        m.del(sessions);
        const local = this.handlers?.localSessions() ?? [];
        for (let i = 0; i < local.length; i += 1000) {
          const chunk = local.slice(i, i + 1000).flatMap((e) => [e.nodeId, JSON.stringify(e)]);
          m.hset(sessions, ...chunk);
        }
      }
      m.pexpire(sessions, ttl);
      const results = await m.exec();
      const wasDirty = this.dirty;
      this.dirty = false;
      // PEXPIRE answers 0 when the hash is gone (Redis restarted, or it expired while we could not
      // reach it): write it again now, or the other instances would drop our sessions.
      const kept = results?.at(-1)?.[1];
      if (!wasDirty && kept === 0 && (this.handlers?.localSessions().length ?? 0) > 0) {
        this.dirty = true;
        await this.beat();
      }
    } catch (err) {
      this.dirty = true;
      this.opts.log?.warn({ err: (err as Error).message }, 'bus heartbeat failed');
    }
  }

  publish(msg: BusMessage, to?: string): void {
    if (this.closed) return;
    this.pub
      .publish(
        to === undefined ? this.allChannel : this.channelOf(to),
        encodeEnvelope({ from: this.instanceId, msg }),
      )
      .catch(() => {
        this.dropped++;
      });
  }

  registerSession(e: PresenceEntry): void {
    const sessions = this.key('sessions', this.instanceId);
    this.pub
      .multi()
      .hset(sessions, e.nodeId, JSON.stringify(e))
      .pexpire(sessions, this.heartbeat.ttlMs)
      .exec()
      .catch(() => {
        this.dirty = true;
      });
  }

  unregisterSession(nodeId: string): void {
    this.pub.hdel(this.key('sessions', this.instanceId), nodeId).catch(() => {
      this.dirty = true;
    });
  }

  stats(): { dropped: number; invalid: number } {
    return { dropped: this.dropped, invalid: this.invalid };
  }

  async liveInstances(): Promise<Set<string>> {
    const ids = await this.pub.smembers(`${this.prefix}:instances`);
    const live = new Set<string>([this.instanceId]);
    if (ids.length === 0) return live;
    const beats = await this.pub.mget(...ids.map((id) => this.key('instance', id)));
    const dead: string[] = [];
    ids.forEach((id, i) => {
      if (beats[i] !== null) live.add(id);
      else if (id !== this.instanceId) dead.push(id);
    });
    if (dead.length > 0) await this.pub.srem(`${this.prefix}:instances`, ...dead);
    return live;
  }

  async sessionsOf(instanceId: string): Promise<PresenceEntry[]> {
    const all = await this.pub.hgetall(this.key('sessions', instanceId));
    const out: PresenceEntry[] = [];
    for (const raw of Object.values(all)) {
      try {
        const r = PresenceEntrySchema.safeParse(JSON.parse(raw));
        if (r.success && r.data.instanceId === instanceId) out.push(r.data);
        else this.invalid++;
      } catch {
        this.invalid++;
      }
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.pub
      .multi()
      .del(this.key('instance', this.instanceId))
      .del(this.key('sessions', this.instanceId))
      .srem(`${this.prefix}:instances`, this.instanceId)
      .exec()
      .catch(() => undefined);
    this.sub.disconnect();
    this.pub.disconnect();
  }
}
