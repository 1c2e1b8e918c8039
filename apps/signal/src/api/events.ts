import type { FeedEvent } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Mesh } from '../mesh/mesh.js';

/** Events queued for one SSE client; a client further behind than this is disconnected (it reconnects with Last-Event-ID). */
const MAX_QUEUED = 2000;
const KEEPALIVE_MS = 15_000;

export type StreamRegistry = Set<() => void>;

/**
 * GET /api/v1/events: live feed as Server-Sent Events (event = kind, id = seq, data = FeedEvent JSON).
 * `Last-Event-ID` (or ?since=SEQ) replays what is still in the ring. GET /api/v1/events/recent returns
 * the last events as JSON.
 */
export function eventsApi(mesh: Mesh, streams: StreamRegistry): Hono {
  const feed = mesh.deps.feed;
  return new Hono()
    .get('/recent', (c) =>
      c.json({ events: feed.recent(Math.min(1000, Number(c.req.query('limit') ?? 200) || 200)) }),
    )
    .get('/', (c) => {
      const since = Number(c.req.header('last-event-id') ?? c.req.query('since') ?? Number.NaN);
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
          await stream.writeSSE({ event: 'hello', data: JSON.stringify({ serverTime: Date.now() }) });
          while (!done) {
            while (queue.length > 0 && !done) {
              const e = queue.shift()!;
              await stream.writeSSE({ event: e.kind, id: String(e.seq), data: JSON.stringify(e) });
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
