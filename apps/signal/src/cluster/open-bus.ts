import type { Logger } from 'pino';
import type { HeartbeatTiming, MessageBus } from './bus.js';
import { MemoryBus } from './memory-bus.js';
import { RedisBus } from './redis-bus.js';

export type BusOptions = {
  /** redis:// or rediss:// URL, a bus object (tests), or nothing: in-process (a single instance). */
  bus?: string | MessageBus;
  /** Redis key and channel prefix (default "rtcmesh"). */
  busPrefix?: string;
  busHeartbeat?: HeartbeatTiming;
};

export function isRedisUrl(url: string): boolean {
  return /^rediss?:\/\//.test(url);
}

export function openBus(opts: BusOptions, log: Logger): MessageBus {
  const { bus } = opts;
  if (bus === undefined)
    return new MemoryBus(undefined, opts.busHeartbeat ? { heartbeat: opts.busHeartbeat } : {});
  if (typeof bus !== 'string') return bus;
  if (!isRedisUrl(bus)) throw new Error(`--bus must be a redis:// or rediss:// URL, got ${bus}`);
  return new RedisBus(bus, {
    log,
    ...(opts.busPrefix === undefined ? {} : { prefix: opts.busPrefix }),
    ...(opts.busHeartbeat === undefined ? {} : { heartbeat: opts.busHeartbeat }),
  });
}
