import type { Welcome } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { DirectHint } from '../links/direct-hint.js';
import {
  type CachedMap,
  directHints,
  formatAge,
  type NetworkMapStore,
  offlineWelcome,
} from '../state/network-map.js';
import { networkChange } from './network-fit.js';

/** stop() before the agent had a network map: start() returns instead of failing. */
export class AgentStoppedError extends Error {}

export interface NetworkMapStartOptions {
  /** The node and network a cached map must be for (identity.json). */
  nodeId: string;
  networkId?: string | undefined;
  /** The cached network map (AgentOptions.networkMap); absent: the agent waits for the server. */
  cache?: { store: Pick<NetworkMapStore, 'load'>; maxAgeMs: number; offlineAfterMs?: number } | undefined;
  /** The control session, for what the logs say about it. */
  server: { readonly serverUrl: string; readonly lastError: string | null };
  /** Builds the parts from the first configuration (the cache brings the direct hints it kept). */
  setup: (w: Welcome, cachedHints?: ReadonlyMap<string, DirectHint>) => Promise<void>;
  /** The cached welcome is about to be set up (the server's reach the policy from the control session). */
  cachedWelcome: (w: Welcome) => void;
  /** A later welcome from the server: everything it knows replaces what we had; links stay up. */
  resync: (w: Welcome) => void;
  /** The running configuration, to compare with the server's after an offline start. */
  config: () => Welcome | undefined;
  /** stop() was called. */
  stopping: () => boolean;
  /** Stops the agent for this error (a failed setup, a network that changed under the cache). */
  fail: (error: Error) => void;
  logger: Logger;
  /** How often "still waiting for the signaling server" is said (default 10 s). */
  waitingLogMs?: number;
}

/**
 * How the agent gets its first configuration, and what later welcomes do to it. The first `welcome`
 * configures the device; later ones (after a reconnect) only resync peers, so a signaling outage never
 * touches the data plane. When the server does not answer within `offlineAfterMs` and a fresh enough
 * cached map exists, the agent starts from the cache; the server's view replaces it when it arrives.
 */
export class NetworkMapStart {
  readonly #o: NetworkMapStartOptions;
  /** Where the running configuration came from: the server, or the cache while the server is away. */
  #source: 'server' | 'cache' | undefined;
  /** Set by the first configuration (a welcome, or the cache): later welcomes wait for it, then resync. */
  #setupDone: Promise<void> | undefined;
  readonly #ready: Promise<void>;
  #resolveReady!: () => void;
  #rejectReady!: (err: Error) => void;

  constructor(options: NetworkMapStartOptions) {
    this.#o = options;
    this.#ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // Whoever awaits `ready` sees its rejection; this only keeps an unawaited one from being "unhandled".
    this.#ready.catch(() => {});
  }

  /** Where the running configuration came from; undefined before the first. */
  get source(): 'server' | 'cache' | undefined {
    return this.#source;
  }

  /**
   * Waits for the first configuration and its setup: true once done, false if stop() came first.
   * A failed setup, or a fatal error of the control session, is thrown.
   */
  async first(): Promise<boolean> {
    const waiting = setInterval(
      () =>
        this.#o.logger.warn(
          { server: this.#o.server.serverUrl, lastError: this.#o.server.lastError },
          'still waiting for the signaling server',
        ),
      this.#o.waitingLogMs ?? 10_000,
    );
    try {
      await this.#firstNetworkMap();
      return true;
    } catch (err) {
      if (err instanceof AgentStoppedError) return false;
      throw err;
    } finally {
      clearInterval(waiting);
    }
  }

  /** A welcome from the server: the first configuration, or a resync once that is set up. */
  welcome(w: Welcome): void {
    if (!this.#setupDone) {
      this.#source = 'server';
      this.#setupDone = this.#o.setup(w);
      this.#setupDone.then(
        () => this.#resolveReady(),
        (err: Error) => {
          this.#rejectReady(err);
          this.#o.fail(err);
        },
      );
      return;
    }
    // A failed setup stops the agent (above, or in start()); a welcome after it has nothing to resync.
    this.#setupDone.then(
      () => this.#resyncFromServer(w),
      () => {},
    );
  }

  /** The agent is stopping: a start still waiting for its first configuration returns. */
  stopped(): void {
    this.#rejectReady(new AgentStoppedError('the agent stopped'));
  }

  /** The control session failed for good: a start still waiting for it fails with this. */
  failed(error: Error): void {
    this.#rejectReady(error);
  }

  /**
   * The first configuration: the server's welcome, or — when the server does not answer within
   * `offlineAfterMs` and a fresh enough cached map exists — the cache. The server's view replaces the
   * cache when it arrives (resyncFromServer).
   */
  async #firstNetworkMap(): Promise<void> {
    const cache = this.#o.cache;
    const loaded =
      cache && cache.maxAgeMs > 0
        ? await cache.store.load(
            { nodeId: this.#o.nodeId, networkId: this.#o.networkId },
            cache.maxAgeMs,
            Date.now(),
          )
        : undefined;
    if (!cache || !loaded?.ok) {
      if (loaded && !loaded.ok && !loaded.missing)
        this.#o.logger.warn({ reason: loaded.reason }, 'not starting from the cached network map');
      await this.#ready;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const offline = new Promise<'cache'>((r) => {
      timer = setTimeout(() => r('cache'), cache.offlineAfterMs ?? 3000);
    });
    const first = await Promise.race([this.#ready.then(() => 'server' as const), offline]).finally(() =>
      clearTimeout(timer),
    );
    if (this.#o.stopping()) throw new AgentStoppedError();
    // A welcome that arrived meanwhile is being set up: wait for it like any start.
    if (first === 'server' || this.#setupDone) {
      await this.#ready;
      return;
    }
    await this.#startFromCache(loaded.map, loaded.ageMs, cache.maxAgeMs);
  }

  async #startFromCache(map: CachedMap, ageMs: number, maxAgeMs: number): Promise<void> {
    const { welcome, turnExpired } = offlineWelcome(map, maxAgeMs, Date.now());
    const log = this.#o.logger;
    log.warn(
      {
        server: this.#o.server.serverUrl,
        lastError: this.#o.server.lastError,
        mapAge: formatAge(ageMs),
        peers: welcome.peers.length,
        turnExpired,
      },
      'signaling server unreachable: starting from the cached network map',
    );
    if (turnExpired)
      log.warn('the cached TURN credentials have expired: only direct paths until the server is back');
    this.#source = 'cache';
    this.#o.cachedWelcome(welcome);
    this.#setupDone = this.#o.setup(welcome, directHints(map));
    await this.#setupDone;
  }

  /**
   * The server's welcome. After an offline start it replaces the cache; if the network itself changed
   * meanwhile (its mode, range or our addresses), the device is wrong: stop, so the service manager
   * starts the agent again from the server's view.
   */
  #resyncFromServer(w: Welcome): void {
    const cfg = this.#o.config();
    if (this.#source === 'cache' && cfg) {
      const changed = networkChange(cfg, w);
      if (changed) {
        this.#o.fail(
          new Error(`${changed} changed while this agent ran from its cached network map; start it again`),
        );
        return;
      }
      this.#o.logger.info('the signaling server is back: its network map replaces the cache');
      this.#source = 'server';
    }
    this.#o.resync(w);
  }
}
