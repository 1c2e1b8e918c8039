import type { Config, PeerInfo, PolicyMessage, Welcome } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { DirectHint } from '../links/direct-hint.js';
import { NetworkMap, type NetworkMapStore } from './network-map.js';

/** The control messages that change the network map (ControlClient's events). */
export interface NetworkMapEvents {
  on(event: 'welcome', cb: (w: Welcome) => void): unknown;
  on(event: 'config', cb: (c: Config) => void): unknown;
  on(event: 'policy', cb: (m: PolicyMessage) => void): unknown;
  on(event: 'peer-joined' | 'peer-updated', cb: (p: PeerInfo) => void): unknown;
  on(event: 'peer-left', cb: (e: { nodeId: string; lastSeen: number }) => void): unknown;
  on(event: 'peer-removed', cb: (id: string) => void): unknown;
}

/**
 * Keeps the network map (network-map.ts) current from every control message and saves it for offline
 * starts: a second after a change (a burst of joins is one write), and never two writes at once.
 */
export class NetworkMapRecorder {
  readonly map = new NetworkMap();
  private timer: NodeJS.Timeout | undefined;
  private saving = false;
  private version = 0;
  private savedVersion = -1;
  private closed = false;

  constructor(
    private readonly store: NetworkMapStore | undefined,
    /** How to reach peers directly, saved beside the map. */
    private readonly hints: () => ReadonlyMap<string, DirectHint>,
    private readonly log: Logger,
  ) {}

  attach(c: NetworkMapEvents): void {
    const map = this.map;
    const apply = (change: (now: number) => void) => {
      change(Date.now());
      this.changed();
    };
    c.on('welcome', (w) => apply((now) => map.applyWelcome(w, now)));
    c.on('config', (cfg) => apply((now) => map.applyConfig(cfg, now)));
    c.on('policy', (m) => apply((now) => map.applyPolicy(m, now)));
    c.on('peer-joined', (p) => apply((now) => map.upsertPeer(p, now)));
    c.on('peer-updated', (p) => apply((now) => map.upsertPeer(p, now)));
    c.on('peer-left', ({ nodeId, lastSeen }) => apply((now) => map.peerLeft(nodeId, lastSeen, now)));
    c.on('peer-removed', (id) => apply((now) => map.removePeer(id, now)));
  }

  /** The server is still there: the map is as fresh as now, even if nothing in it changed. */
  confirm(): void {
    if (!this.map.current) return;
    this.map.confirm(Date.now());
    this.changed();
  }

  /** Something in the map or the hints changed: save within a second. */
  changed(): void {
    this.version++;
    if (!this.store || this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, 1000);
    this.timer.unref();
  }

  async save(): Promise<void> {
    const welcome = this.map.current;
    const version = this.version;
    if (!this.store || !welcome || version === this.savedVersion) return;
    if (this.saving) {
      // The write in flight may miss this change: one more after it.
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        void this.save();
      }, 1000);
      return;
    }
    this.saving = true;
    try {
      await this.store.save({
        version: 1,
        savedAt: Date.now(),
        confirmedAt: this.map.lastConfirmedAt,
        welcome,
        direct: Object.fromEntries(this.hints()),
      });
      this.savedVersion = version;
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message, path: this.store.path },
        'cannot save the network map cache',
      );
    } finally {
      this.saving = false;
    }
  }

  /** Stops saving; `forget` deletes the file (a removed node must not start again from it). */
  async close(forget: boolean): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    if (forget) await this.store?.clear();
    else await this.save();
  }
}
