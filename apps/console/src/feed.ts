import { type FeedEvent, FeedEventSchema } from '@rtcmesh/protocol/browser';

export type FeedState = 'connecting' | 'live' | 'reconnecting';

const KINDS = [
  'presence',
  'node',
  'network',
  'key',
  'join-rejected',
  'telemetry',
  'agent-event',
  'audit',
] as const;

/**
 * The live feed (SSE). EventSource retries by itself after a dropped connection; when the browser
 * gives up (CLOSED, e.g. the server restarted and answered 401 or 5xx once) we reopen with backoff,
 * resuming after the last seen event so nothing in the server's ring is missed.
 */
export class LiveFeed {
  private es: EventSource | undefined;
  private lastSeq: number | undefined;
  /** The server instance that numbered lastSeq (several instances may serve one console). */
  private instance: string | undefined;
  private retry = 0;
  private timer: number | undefined;
  private stopped = false;

  constructor(
    private readonly onEvent: (e: FeedEvent) => void,
    private readonly onState: (s: FeedState) => void,
    /** Called after a reconnect that may have missed events beyond the ring: refetch everything. */
    private readonly onResync: () => void,
    /** Asked before reopening a feed the browser gave up on: false = the session ended (sign in again). */
    private readonly stillSignedIn: () => Promise<boolean>,
    private readonly onSignedOut: () => void,
  ) {}

  start(since?: number): void {
    this.stopped = false;
    this.lastSeq = since;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.es?.close();
    this.es = undefined;
  }

  private async reopen(): Promise<void> {
    // A server that is down answers nothing: keep retrying. One that answers "not signed in" means
    // the session expired or was revoked: retrying would never succeed.
    const signedIn = await this.stillSignedIn().catch(() => true);
    if (this.stopped) return;
    if (!signedIn) {
      this.stop();
      this.onSignedOut();
      return;
    }
    this.open();
  }

  private open(): void {
    if (this.stopped) return;
    this.onState(this.retry === 0 ? 'connecting' : 'reconnecting');
    const url =
      this.lastSeq === undefined
        ? '/api/v1/events'
        : `/api/v1/events?since=${this.lastSeq}${this.instance ? `&instance=${encodeURIComponent(this.instance)}` : ''}`;
    const es = new EventSource(url, { withCredentials: true });
    this.es = es;
    es.addEventListener('hello', (m: MessageEvent<string>) => {
      try {
        const hello: unknown = JSON.parse(m.data);
        const instance = (hello as { instance?: unknown }).instance;
        // Another instance answered: our sequence numbers mean nothing there.
        if (this.instance !== undefined && instance !== this.instance) this.lastSeq = undefined;
        this.instance = typeof instance === 'string' ? instance : undefined;
      } catch {
        // an older server's hello
      }
      if (this.retry > 0) this.onResync();
      this.retry = 0;
      this.onState('live');
    });
    for (const kind of KINDS) {
      es.addEventListener(kind, (m: MessageEvent<string>) => {
        let raw: unknown;
        try {
          raw = JSON.parse(m.data);
        } catch {
          return;
        }
        const r = FeedEventSchema.safeParse(raw);
        if (!r.success) return; // a newer server's event: ignore it
        this.lastSeq = r.data.seq;
        this.onEvent(r.data);
      });
    }
    es.onerror = () => {
      this.onState('reconnecting');
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        const delay = Math.min(10_000, 500 * 2 ** this.retry++) * (0.5 + Math.random() / 2);
        this.timer = window.setTimeout(() => void this.reopen(), delay);
      } else {
        this.retry++;
      }
    };
  }
}
