import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { prefixCovers } from '@rtcmesh/protocol';
import ipaddr from 'ipaddr.js';
import type { Logger } from 'pino';

const run = promisify(execFile);

/** Routing table for the exit route, and the priorities of its two rules (what wg-quick does). */
export const EXIT_TABLE = 7700;
const RULE_MAIN = 5270;
const RULE_EXIT = 5280;
/** Underlay addresses kept outside the tunnel at most; beyond, new ones are logged and go through it. */
const MAX_BYPASSES = 4096;

export type ExitRoutingOptions = {
  /** The overlay device (TUN) the exit route points into. */
  device: string;
  /** The overlay network: reached through the device anyway. */
  networkCidr: string;
  logger: Logger;
  /** Networks this host is attached to: reached directly, never bypassed. */
  connected: () => readonly string[];
  /** The IPv4 default routes of the main table (interface and next hop), lowest metric first. */
  defaultRoutes: () => Promise<{ dev: string; gateway: string }[]>;
  /** Runs `ip` with these arguments (tests record them). */
  ip?: (args: string[]) => Promise<void>;
};

/**
 * A client's side of an exit node (`--exit-node`), IPv4: everything that would take the main table's
 * default route goes into the overlay instead, to the exit node, which NATs it out. The main table
 * stays as it is: a rule looks it up first with its default route suppressed (so connected networks,
 * the overlay and the bypass routes still win), then a second rule sends the rest to table 7700,
 * whose only route is the device. The underlay paths the mesh itself needs (the signaling and TURN
 * servers, every peer's public and candidate addresses) get /32 routes through the old gateway
 * first: a link carried inside itself would die with its first packet.
 */
export class ExitRouting {
  private readonly known = new Set<string>();
  private readonly bypassed = new Map<string, string[]>();
  private active = false;
  private gateway: { dev: string; gateway: string } | undefined;
  private warnedFull = false;
  private chain: Promise<void> = Promise.resolve();
  private readonly ip: (args: string[]) => Promise<void>;

  constructor(private readonly o: ExitRoutingOptions) {
    this.ip =
      o.ip ??
      (async (args) => {
        await run('ip', args);
      });
  }

  get isActive(): boolean {
    return this.active;
  }

  get bypasses(): number {
    return this.bypassed.size;
  }

  /** An underlay address the mesh talks to: kept outside the tunnel (now, or when it is activated). */
  keepOutside(address: string): void {
    const ip = normalize(address);
    if (!ip || this.known.has(ip) || !this.needsBypass(ip)) return;
    if (this.known.size >= MAX_BYPASSES) {
      if (!this.warnedFull) {
        this.warnedFull = true;
        this.o.logger.warn(
          { max: MAX_BYPASSES },
          'too many underlay addresses to keep outside the exit node',
        );
      }
      return;
    }
    this.known.add(ip);
    if (this.active) this.queue(() => this.bypass(ip));
  }

  /** Every candidate and SDP address in a signal from a peer (its underlay paths). */
  observeCandidates(text: string): void {
    for (const m of text.matchAll(/candidate:\S+ \d+ (?:udp|tcp) \d+ (\S+) \d+ typ/gi))
      this.keepOutside(m[1]!);
  }

  /** Starts sending default traffic into the overlay (idempotent). */
  activate(): Promise<void> {
    return this.queue(async () => {
      if (this.active) return;
      const [gw] = await this.o.defaultRoutes();
      if (!gw) {
        this.o.logger.error('no IPv4 default route: nothing to send through the exit node');
        return;
      }
      this.gateway = gw;
      for (const ip of this.known) await this.bypass(ip);
      await this.ip(['-4', 'route', 'replace', 'default', 'dev', this.o.device, 'table', String(EXIT_TABLE)]);
      await this.removeRules();
      await this.ip([
        '-4',
        'rule',
        'add',
        'priority',
        String(RULE_MAIN),
        'lookup',
        'main',
        'suppress_prefixlength',
        '0',
      ]);
      await this.ip(['-4', 'rule', 'add', 'priority', String(RULE_EXIT), 'lookup', String(EXIT_TABLE)]);
      this.active = true;
      this.o.logger.info(
        { via: this.o.device, bypasses: this.bypassed.size, underlay: gw },
        'default traffic goes through the exit node',
      );
    });
  }

  /** Back to the host's own default route; the bypass routes go too. */
  deactivate(): Promise<void> {
    return this.queue(async () => {
      const wasActive = this.active;
      this.active = false;
      await this.removeRules();
      await this.ip(['-4', 'route', 'flush', 'table', String(EXIT_TABLE)]).catch(() => undefined);
      for (const [ip, args] of this.bypassed) {
        await this.ip(['-4', 'route', 'del', ...args]).catch(() => undefined);
        this.bypassed.delete(ip);
      }
      if (wasActive) this.o.logger.info('default traffic uses the host’s own route again');
    });
  }

  private needsBypass(ip: string): boolean {
    if (!ipaddr.IPv4.isValid(ip)) return false; // the IPv6 exit route is not used yet
    const range = ipaddr.IPv4.parse(ip).range();
    if (range === 'loopback' || range === 'unspecified' || range === 'multicast' || range === 'broadcast')
      return false;
    if (prefixCovers(this.o.networkCidr, ip)) return false;
    return !this.o.connected().some((n) => !n.includes(':') && prefixCovers(n, ip));
  }

  private async bypass(ip: string): Promise<void> {
    const gw = this.gateway;
    if (!gw || this.bypassed.has(ip)) return;
    const args = [`${ip}/32`, 'via', gw.gateway, 'dev', gw.dev];
    try {
      await this.ip(['-4', 'route', 'replace', ...args]);
      this.bypassed.set(ip, args);
    } catch (err) {
      this.o.logger.warn(
        { ip, err: (err as Error).message },
        'cannot keep an underlay address outside the exit node',
      );
    }
  }

  private async removeRules(): Promise<void> {
    // A rule left by an agent that was killed: removed before adding, so they never pile up.
    for (const priority of [RULE_MAIN, RULE_EXIT])
      for (let i = 0; i < 4; i++) {
        try {
          await this.ip(['-4', 'rule', 'del', 'priority', String(priority)]);
        } catch {
          break;
        }
      }
  }

  private queue(step: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(step).catch((err: Error) => {
      this.o.logger.error({ err: err.message }, 'exit node routing failed');
    });
    return this.chain;
  }
}

function normalize(address: string): string | undefined {
  const host = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(host)) return undefined;
  const a = ipaddr.parse(host);
  if (a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress())
    return (a as ipaddr.IPv6).toIPv4Address().toString();
  return a.toString();
}
