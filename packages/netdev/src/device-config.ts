import { NetDevClosedError, type NetDevCommandError } from './errors.js';
import { runIp } from './ip-command.js';
import type { RouteOptions } from './net-device-types.js';
import { parseCidr, validateIp, validateRouteMetric } from './validate.js';

/**
 * A device's kernel configuration (addresses and routes through `ip`), with the steps that undo it:
 * a device this process created takes them along when it closes; on one it attached to (a bridge
 * port, a TAP someone else made) they are undone, newest first.
 */
export class DeviceConfig {
  /** Undo steps by what they undo ("addr 10.99.0.1/24", "route 10.1.0.0/24", a link change). */
  readonly #undo = new Map<string, string[]>();

  constructor(
    private readonly name: string,
    private readonly netns: string | undefined,
    private readonly closed: () => boolean,
    /** Tests: how `ip` runs (default: the `ip` command, in `netns` when set). */
    private readonly run: typeof runIp = runIp,
  ) {}

  /** Adds (or keeps) an IPv4/IPv6 address, e.g. `10.99.0.1/24` or `fd00::1/64`. */
  async addAddress(cidr: string): Promise<void> {
    const { text } = parseCidr(cidr);
    await this.#ip(['address', 'replace', text, 'dev', this.name]);
    this.#undo.set(`addr ${text}`, ['address', 'del', text, 'dev', this.name]);
  }

  async removeAddress(cidr: string): Promise<void> {
    const { text } = parseCidr(cidr);
    await this.#ip(['address', 'del', text, 'dev', this.name]);
    this.#undo.delete(`addr ${text}`);
  }

  /** Routes `cidr` via the device (replacing an existing route to the same prefix). */
  async addRoute(cidr: string, options: RouteOptions = {}): Promise<void> {
    const { text, family } = parseCidr(cidr);
    const args = [family === 6 ? '-6' : '-4', 'route', 'replace', text, 'dev', this.name];
    if (options.via !== undefined) args.push('via', validateIp(options.via, 'route via'));
    if (options.metric !== undefined) args.push('metric', String(validateRouteMetric(options.metric)));
    await this.#ip(args);
    this.#undo.set(`route ${text}`, [family === 6 ? '-6' : '-4', 'route', 'del', text, 'dev', this.name]);
  }

  async removeRoute(cidr: string): Promise<void> {
    const { text, family } = parseCidr(cidr);
    await this.#ip([family === 6 ? '-6' : '-4', 'route', 'del', text, 'dev', this.name]);
    this.#undo.delete(`route ${text}`);
  }

  /** Records an undo step for a change made elsewhere (a link change while opening the device). */
  recordUndo(key: string, args: string[]): void {
    this.#undo.set(key, args);
  }

  /** Runs every undo step, newest first; rejects with the first that failed after trying them all. */
  async undo(): Promise<void> {
    let first: NetDevCommandError | undefined;
    for (const args of [...this.#undo.values()].reverse()) {
      try {
        await this.run(args, { netns: this.netns });
      } catch (err) {
        first ??= err as NetDevCommandError;
      }
    }
    this.#undo.clear();
    if (first) throw first;
  }

  #ip(args: string[]): Promise<string> {
    if (this.closed()) return Promise.reject(new NetDevClosedError(`device ${this.name} is closed`));
    return this.run(args, { netns: this.netns });
  }
}
