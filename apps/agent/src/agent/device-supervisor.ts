import { readFile } from 'node:fs/promises';
import type { NetDevice } from '@rtcmesh/netdev';
import type { Logger } from 'pino';

/** Re-open attempts after a device failure (about 8 s in all), then the agent gives up and exits. */
const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000];
/** How often the device is checked to still be the one we opened (a deleted TUN may not fail reads). */
const CHECK_INTERVAL_MS = 2000;

export type DeviceHealth =
  | { state: 'ok'; reopens: number }
  | { state: 'recovering'; error: string; since: number; reopens: number }
  | { state: 'failed'; error: string; since: number; reopens: number };

export interface DeviceSupervisorOptions {
  name: string;
  /** Opens (creates) the device with the agent's settings: name, MTU, addresses, routes, bridge. */
  open: () => Promise<NetDevice>;
  onFrames: (frames: Buffer[]) => void;
  /** Opened again after a failure: kernel state that went with the old one (peer routes) is gone. */
  onReopened: (device: NetDevice) => void;
  /** Could not be opened again: the agent stops with this error (non-zero exit). */
  onFailed: (error: Error) => void;
  logger: Logger;
  retryDelaysMs?: readonly number[];
  checkIntervalMs?: number;
  /** The interface index of `name` now, or null if there is none (default: sysfs). */
  ifindex?: (name: string) => Promise<number | null>;
}

/**
 * Keeps the overlay device alive under the agent. A read error (the device was deleted or broke), or
 * the interface vanishing or being replaced by another one with its name, makes it re-open the device
 * with the same settings, with backoff; if that keeps failing, the agent stops with a clear error
 * instead of running on with nothing reading the device. `health` says which it is (`rtcmesh status`).
 */
export class DeviceSupervisor {
  private current: NetDevice | undefined;
  private ifindex: number | null = null;
  private state: DeviceHealth = { state: 'ok', reopens: 0 };
  private timer: NodeJS.Timeout | undefined;
  private recovering = false;
  private closed = false;
  private readonly delays: readonly number[];
  private readonly lookup: (name: string) => Promise<number | null>;

  constructor(private readonly o: DeviceSupervisorOptions) {
    this.delays = o.retryDelaysMs ?? RETRY_DELAYS_MS;
    this.lookup = o.ifindex ?? sysfsIfindex;
  }

  get device(): NetDevice | undefined {
    return this.current;
  }

  get health(): DeviceHealth {
    return this.state;
  }

  /** Opens the device the first time (a failure here is the caller's: the agent cannot start). */
  async start(): Promise<NetDevice> {
    const d = await this.attach();
    this.timer = setInterval(() => void this.check(), this.o.checkIntervalMs ?? CHECK_INTERVAL_MS);
    this.timer.unref();
    return d;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.current?.close();
  }

  private async attach(): Promise<NetDevice> {
    const d = await this.o.open();
    d.onFrames(this.o.onFrames);
    d.onError((err) => void this.recover(`read error: ${err.message}`));
    this.current = d;
    this.ifindex = await this.lookup(d.name).catch(() => null);
    return d;
  }

  /** Still the interface we opened? (`ip link del`, or another link created under its name.) */
  private async check(): Promise<void> {
    if (this.recovering || this.closed || !this.current || this.ifindex === null) return;
    const now = await this.lookup(this.current.name).catch(() => null);
    if (this.recovering || this.closed) return;
    if (now === null) void this.recover(`${this.o.name} disappeared`);
    else if (now !== this.ifindex) void this.recover(`${this.o.name} was replaced by another interface`);
  }

  private async recover(reason: string): Promise<void> {
    if (this.recovering || this.closed) return;
    this.recovering = true;
    const since = Date.now();
    const reopens = this.state.reopens;
    this.state = { state: 'recovering', error: reason, since, reopens };
    this.o.logger.error({ device: this.o.name, reason }, 'device failed: re-opening it');
    const old = this.current;
    this.current = undefined;
    await old?.close().catch(() => {});
    let lastError = reason;
    for (const delay of this.delays) {
      await new Promise((r) => setTimeout(r, delay));
      if (this.closed) return;
      try {
        const d = await this.attach();
        this.state = { state: 'ok', reopens: reopens + 1 };
        this.recovering = false;
        this.o.logger.warn({ device: d.name, afterMs: Date.now() - since }, 'device re-opened');
        this.o.onReopened(d);
        return;
      } catch (err) {
        lastError = (err as Error).message;
        this.o.logger.warn({ device: this.o.name, err: lastError }, 'cannot re-open the device yet');
      }
    }
    this.state = { state: 'failed', error: lastError, since, reopens };
    this.o.onFailed(
      new Error(`the device ${this.o.name} failed (${reason}) and could not be opened again: ${lastError}`),
    );
  }
}

async function sysfsIfindex(name: string): Promise<number | null> {
  try {
    const n = Number((await readFile(`/sys/class/net/${name}/ifindex`, 'utf8')).trim());
    return Number.isInteger(n) ? n : null;
  } catch {
    return null;
  }
}
