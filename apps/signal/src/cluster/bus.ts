import type { BusEnvelope, BusMessage, PresenceEntry } from './messages.js';

/** Liveness timing: each instance refreshes its heartbeat every `intervalMs`; it expires after `ttlMs`. */
export type HeartbeatTiming = { intervalMs: number; ttlMs: number };
export const DEFAULT_HEARTBEAT: HeartbeatTiming = { intervalMs: 2000, ttlMs: 6000 };

export type BusHandlers = {
  onMessage(e: BusEnvelope): void;
  /** This instance's sessions, to rewrite the shared registry after the bus was unreachable. */
  localSessions(): PresenceEntry[];
};

/**
 * Delivery between signaling instances, and the shared view of which instances are alive and which
 * sessions they hold. `MemoryBus` (in-process, the default: one instance, or several in one process
 * for tests) and `RedisBus` (pub/sub + TTL keys) implement it.
 *
 * Delivery is at most once and ordered per sender; nothing is queued while the bus is unreachable
 * (a lost presence update is repaired by the next heartbeat sweep, a lost signal by the agents'
 * own retries).
 */
export interface MessageBus {
  readonly instanceId: string;
  readonly kind: 'memory' | 'redis';
  readonly heartbeat: HeartbeatTiming;
  start(handlers: BusHandlers): Promise<void>;
  /** To one instance (`to`) or to every other instance (never back to this one). */
  publish(msg: BusMessage, to?: string): void;
  /** Adds/removes one of this instance's sessions in the shared registry. */
  registerSession(e: PresenceEntry): void;
  unregisterSession(nodeId: string): void;
  /** Instances whose heartbeat has not expired, this one included. */
  liveInstances(): Promise<Set<string>>;
  /** The sessions an instance registered (empty when it is gone). */
  sessionsOf(instanceId: string): Promise<PresenceEntry[]>;
  /** Messages not sent (bus unreachable) and received messages dropped as invalid, since start. */
  stats(): { dropped: number; invalid: number };
  /** Stops heartbeats and removes this instance from the shared view at once (graceful shutdown). */
  close(): Promise<void>;
}
