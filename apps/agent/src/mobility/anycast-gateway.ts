import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import type { MobilitySpec } from './mobility-spec.js';

const run = promisify(execFile);

/** What the gateway changes on the host; tests record the calls instead. */
export interface HostConfig {
  ip(args: string[]): Promise<string>;
  iptables(args: string[]): Promise<void>;
  readSysctl(path: string): Promise<string>;
  writeSysctl(path: string, value: string): Promise<void>;
}

export const systemHostConfig: HostConfig = {
  ip: async (args) => (await run('ip', args, { timeout: 10_000 })).stdout,
  iptables: async (args) => {
    await run('iptables', ['-w', '5', ...args], { timeout: 10_000 });
  },
  readSysctl: async (path) => (await readFile(path, 'utf8')).trim(),
  writeSysctl: (path, value) => writeFile(path, `${value}\n`),
};

/**
 * The distributed anycast gateway of one mobility prefix on one site's LAN bridge (EVPN's model):
 * the same gateway address and MAC at every site, so a workload that moves keeps its default
 * gateway and the gateway's MAC in its ARP cache. On the bridge: the gateway address, the anycast
 * MAC, proxy ARP (a workload ARPing for a host of the prefix that runs at another site gets the
 * gateway's MAC, and the packet is routed over the overlay), arp_accept (a gratuitous ARP from a
 * workload that just arrived creates a neighbour entry: that is how the move is noticed at once),
 * IPv4 forwarding, and FORWARD accepts between the bridge and the overlay for the prefix (a host
 * firewall's DROP policy must not eat it). Everything is undone on stop, in reverse.
 */
export class AnycastGateway {
  private readonly undo: Array<{ what: string; run: () => Promise<unknown> }> = [];

  constructor(
    private readonly spec: MobilitySpec,
    private readonly overlayDevice: string,
    private readonly logger: Logger,
    private readonly host: HostConfig = systemHostConfig,
  ) {}

  async apply(): Promise<void> {
    const { bridge, prefix, gateway, mac } = this.spec;
    const len = prefix.slice(prefix.indexOf('/') + 1);
    const sys = `/proc/sys/net/ipv4/conf/${bridge}`;
    let macBefore: string;
    try {
      macBefore = (await this.host.readSysctl(`/sys/class/net/${bridge}/address`)).toLowerCase();
    } catch {
      throw new Error(
        `--mobility: there is no interface ${bridge} on this host (create the LAN bridge first)`,
      );
    }
    if (macBefore !== mac) {
      await this.host.ip(['link', 'set', 'dev', bridge, 'address', mac]);
      this.undo.push({
        what: `restore ${bridge}'s MAC ${macBefore}`,
        run: () => this.host.ip(['link', 'set', 'dev', bridge, 'address', macBefore]),
      });
    }
    const addrs = await this.host.ip(['-4', '-o', 'addr', 'show', 'dev', bridge]);
    if (!addrs.split('\n').some((l) => l.includes(` inet ${gateway}/${len} `))) {
      await this.host.ip(['addr', 'add', `${gateway}/${len}`, 'dev', bridge]);
      this.undo.push({
        what: `remove ${gateway}/${len} from ${bridge}`,
        run: () => this.host.ip(['addr', 'del', `${gateway}/${len}`, 'dev', bridge]),
      });
    }
    await this.host.ip(['link', 'set', 'dev', bridge, 'up']);
    for (const [path, value] of [
      [`${sys}/proxy_arp`, '1'],
      [`${sys}/arp_accept`, '1'],
      ['/proc/sys/net/ipv4/ip_forward', '1'],
    ] as const) {
      const before = await this.host.readSysctl(path);
      if (before === value) continue;
      await this.host.writeSysctl(path, value);
      this.undo.push({ what: `restore ${path}`, run: () => this.host.writeSysctl(path, before) });
    }
    const tag = ['-m', 'comment', '--comment', `rtcmesh mobility ${prefix}`];
    for (const rule of [
      ['FORWARD', '-i', bridge, '-o', this.overlayDevice, '-s', prefix, '-j', 'ACCEPT', ...tag],
      ['FORWARD', '-i', this.overlayDevice, '-o', bridge, '-d', prefix, '-j', 'ACCEPT', ...tag],
      // The old site of a workload that moved forwards what still reaches it to the new one.
      ['FORWARD', '-i', this.overlayDevice, '-o', this.overlayDevice, '-d', prefix, '-j', 'ACCEPT', ...tag],
    ]) {
      await this.host.iptables(['-I', ...rule]);
      this.undo.push({ what: 'remove a FORWARD rule', run: () => this.host.iptables(['-D', ...rule]) });
    }
    this.logger.info({ bridge, prefix, gateway, mac }, 'mobility: anycast gateway on');
  }

  /** Undoes what apply() did, last change first; a step that fails is logged, the rest still run. */
  async remove(): Promise<void> {
    for (const step of this.undo.splice(0).reverse()) {
      await step.run().catch((err: Error) => this.logger.warn({ err: err.message }, `cannot ${step.what}`));
    }
  }
}
