import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Logger } from 'pino';

const run = promisify(execFile);
const FORWARDING = '/proc/sys/net/ipv4/ip_forward';

export type ExitNatOptions = {
  /** The overlay device: what comes in on it from the overlay network goes out NATed. */
  device: string;
  networkCidr: string;
  logger: Logger;
  /** Runs `iptables` with these arguments (tests record them). */
  iptables?: (args: string[]) => Promise<void>;
  /** Reads and writes net.ipv4.ip_forward (tests keep it in memory). */
  forwarding?: { read(): Promise<string>; write(value: string): Promise<void> };
};

/**
 * The exit node's side (`--advertise-exit-node`), IPv4: forwards what peers send to the internet and
 * masquerades it behind this host's own address, as a home router does, so answers find their way
 * back without the far side knowing the overlay. Everything it changes is undone on stop: the rules
 * it added (matched exactly) and net.ipv4.ip_forward if it was off.
 */
export class ExitNat {
  private readonly rules: string[][];
  private added: string[][] = [];
  private forwardingBefore: string | undefined;
  private readonly iptables: (args: string[]) => Promise<void>;
  private readonly forwarding: NonNullable<ExitNatOptions['forwarding']>;

  constructor(private readonly o: ExitNatOptions) {
    const tag = ['-m', 'comment', '--comment', 'rtcmesh exit node'];
    this.rules = [
      ['-t', 'nat', 'POSTROUTING', '-s', o.networkCidr, '!', '-o', o.device, '-j', 'MASQUERADE', ...tag],
      ['-t', 'filter', 'FORWARD', '-i', o.device, '-s', o.networkCidr, '-j', 'ACCEPT', ...tag],
      [
        '-t',
        'filter',
        'FORWARD',
        '-o',
        o.device,
        '-d',
        o.networkCidr,
        '-m',
        'conntrack',
        '--ctstate',
        'RELATED,ESTABLISHED',
        '-j',
        'ACCEPT',
        ...tag,
      ],
    ];
    this.iptables =
      o.iptables ??
      (async (args) => {
        await run('iptables', ['-w', '5', ...args]);
      });
    this.forwarding = o.forwarding ?? {
      read: () => readFile(FORWARDING, 'utf8'),
      write: (v) => writeFile(FORWARDING, v),
    };
  }

  async start(): Promise<void> {
    const before = (await this.forwarding.read()).trim();
    if (before !== '1') {
      await this.forwarding.write('1\n');
      this.forwardingBefore = before;
    }
    for (const rule of this.rules) {
      const [, table, chain, ...spec] = rule;
      // Inserted first in FORWARD: a host firewall's DROP policy further down must not eat the traffic.
      const verb = chain === 'FORWARD' ? '-I' : '-A';
      await this.iptables(['-t', table!, verb, chain!, ...spec]);
      this.added.push(rule);
    }
    this.o.logger.info(
      { network: this.o.networkCidr, device: this.o.device },
      'exit node: forwarding and NAT on',
    );
  }

  async stop(): Promise<void> {
    for (const [, table, chain, ...spec] of this.added.splice(0).reverse())
      await this.iptables(['-t', table!, '-D', chain!, ...spec]).catch((err: Error) =>
        this.o.logger.warn({ err: err.message }, 'cannot remove an exit node rule'),
      );
    if (this.forwardingBefore !== undefined) {
      await this.forwarding.write(`${this.forwardingBefore}\n`).catch(() => undefined);
      this.forwardingBefore = undefined;
    }
  }
}
