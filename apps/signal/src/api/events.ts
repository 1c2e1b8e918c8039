import type { FeedEvent } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ControlPlaneDeps } from '../control-plane/control-plane.js';

/** Events queued for one SSE client; a client further behind than this is disconnected (it reconnects with Last-Event-ID). */
const MAX_QUEUED = 2000;
const KEEPALIVE_MS = 15_000;

export type StreamRegistry = Set<() => void>;

/**
 * GET /api/v1/events: live feed as Server-Sent Events (event = kind, id = instance:seq, data = FeedEvent JSON).
 * `Last-Event-ID` (or ?since=SEQ) replays what is still in the ring. GET /api/v1/events/recent returns
 * the last events as JSON.
 */
export function eventsApi(deps: Pick<ControlPlaneDeps, 'feed' | 'cluster'>, streams: StreamRegistry): Hono {
  const feed = deps.feed;
  return new Hono()
    .get('/recent', (c) =>
      c.json({ events: feed.recent(Math.min(1000, Number(c.req.query('limit') ?? 200) || 200)) }),
    )
    .get('/', (c) => {
      const instance = deps.cluster.instanceId;
      const since = resumePoint(
        c.req.header('last-event-id') ?? c.req.query('since'),
        c.req.query('instance'),
        instance,
      );
      return streamSSE(c, async (stream) => {
        const queue: FeedEvent[] = Number.isFinite(since) ? feed.since(since) : [];
        let wake: (() => void) | undefined;
        let done = false;
        const stop = (): void => {
          done = true;
          wake?.();
        };
        const unsubscribe = feed.subscribe((e) => {
          if (queue.length >= MAX_QUEUED) stop();
          else queue.push(e);
          wake?.();
        });
        streams.add(stop);
        stream.onAbort(stop);
        try {
          await stream.writeSSE({
            event: 'hello',
            data: JSON.stringify({ serverTime: Date.now(), instance }),
          });
          while (!done) {
            while (queue.length > 0 && !done) {
              const e = queue.shift()!;
              // The id names the instance: its sequence numbers mean nothing on another one.
              await stream.writeSSE({ event: e.kind, id: `${instance}:${e.seq}`, data: JSON.stringify(e) });
            }
            if (done) break;
            const idle = await new Promise<boolean>((resolve) => {
              const t = setTimeout(() => resolve(true), KEEPALIVE_MS);
              wake = () => {
                clearTimeout(t);
                resolve(false);
              };
            });
            wake = undefined;
            if (idle && !done) await stream.write(': keepalive\n\n');
          }
        } finally {
          unsubscribe();
          streams.delete(stop);
        }
      });
    });
}

/**
 * Where a reconnecting stream resumes: `Last-Event-ID` ("<instance>:<seq>", or a bare seq from older
 * servers) or `?since=<seq>[&instance=<id>]`. Sequence numbers are per instance (every instance carries
 * every event, numbered its own way), so a point from another instance replays nothing (NaN); the
 * console refetches its state after every reconnect anyway.
 */
export function resumePoint(raw: string | undefined, from: string | undefined, self: string): number {
  if (raw === undefined) return Number.NaN;
  const m = /^(?:([A-Za-z0-9_-]{1,64}):)?(\d{1,15})$/.exec(raw);
  if (!m) return Number.NaN;
  const origin = m[1] ?? from;
  return origin === undefined || origin === self ? Number(m[2]) : Number.NaN;
}
