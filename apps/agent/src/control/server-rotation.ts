import { Backoff } from '@rtcmesh/limits';

/** Delay before trying the next URL while some of this round's URLs are untried: spread, but short. */
const NEXT_URL_JITTER_MS = 250;

/** What to do after a session ended or could not start: which URL, after how long. */
export type Reconnect =
  /** Another URL (`from` was the one in use); `serverUrl` is already the next one. */
  | { kind: 'move'; from: string; delayMs: number }
  /** The URL in use (after a full round of failures: the next round's first) after the backoff. */
  | { kind: 'retry'; delayMs: number };

/**
 * Which signaling server URL the control session uses, and when it tries again. With several URLs
 * (instances of one mesh): a lost session is retried on the same URL first (after the backoff); a URL
 * that cannot be reached hands over to the next one within NEXT_URL_JITTER_MS; only when every URL
 * failed in a row does the backoff grow. An instance that shuts down says `reconnect-elsewhere`: the
 * client moves to the next URL at once.
 */
export class ServerRotation {
  private readonly urls: readonly string[];
  private index = 0;
  /** URLs that failed in a row since the last session (a full round of them means backoff). */
  private failedInRow = 0;

  constructor(
    urls: readonly string[],
    private readonly backoff: Backoff = new Backoff(),
    private readonly random: () => number = Math.random,
  ) {
    if (urls.length === 0) throw new Error('at least one server URL is needed');
    this.urls = [...urls];
  }

  /** The URL in use (or being tried). */
  get current(): string {
    return this.urls[this.index]!;
  }

  /** A session authenticated: the next loss starts from the shortest backoff. */
  sessionUp(): void {
    this.failedInRow = 0;
    this.backoff.reset();
  }

  /** Something changed that is worth trying again soon (a key that now works). */
  resetBackoff(): void {
    this.backoff.reset();
  }

  /** The instance in use shuts down: the next URL at once, or undefined with only one URL. */
  elsewhere(): Reconnect | undefined {
    if (this.urls.length <= 1) return undefined;
    return this.move();
  }

  /** The session ended (`wasUp`: it had authenticated) or the URL could not be reached. */
  afterClose(wasUp: boolean): Reconnect {
    if (wasUp) {
      // A lost session: the same instance first (it may only have dropped this socket).
      this.backoff.reset();
      this.failedInRow = 0;
    } else if (this.urls.length > 1 && ++this.failedInRow < this.urls.length) {
      return this.move();
    } else if (this.urls.length > 1) {
      // Every URL failed in a row: back off, then start the next round on the next URL.
      this.failedInRow = 0;
      this.index = (this.index + 1) % this.urls.length;
    }
    return { kind: 'retry', delayMs: this.backoff.next() };
  }

  private move(): Reconnect {
    const from = this.current;
    this.index = (this.index + 1) % this.urls.length;
    return { kind: 'move', from, delayMs: Math.floor(this.random() * NEXT_URL_JITTER_MS) };
  }
}
