import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Logger } from 'pino';

const run = promisify(execFile);

export type ResolverRegistration = 'systemd-resolved' | 'none';

/**
 * Makes the host ask the agent for the mesh's names, and only for them: with systemd-resolved, the
 * overlay device gets the agent as its DNS server and `~<zone>` as its routing domain (per-link DNS,
 * as Tailscale does), so every other name keeps its usual resolver. Undone on stop (`resolvectl
 * revert`). Without systemd-resolved nothing is changed: the names resolve with `dig @<address>`, or
 * by pointing the host's resolver at the agent for that zone (dnsmasq `server=/<zone>/<address>`).
 */
export class SystemResolver {
  registration: ResolverRegistration = 'none';
  reason = '';

  constructor(
    private readonly device: string,
    private readonly logger: Logger,
    private readonly resolvectl: (args: string[]) => Promise<void> = async (args) => {
      await run('resolvectl', args, { timeout: 5000 });
    },
  ) {}

  async register(address: string, zone: string): Promise<void> {
    try {
      await this.resolvectl(['dns', this.device, address]);
      await this.resolvectl(['domain', this.device, `~${zone}`]);
      this.registration = 'systemd-resolved';
      this.logger.info({ zone, address, device: this.device }, 'mesh names registered with systemd-resolved');
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      this.reason =
        e.code === 'ENOENT'
          ? 'no systemd-resolved (resolvectl not found)'
          : `resolvectl failed: ${(e.stderr || e.message).trim().split('\n')[0]}`;
      this.logger.info(
        { zone, address },
        `${this.reason}: the host does not send queries for ${zone} to the agent by itself; use dig @${address}, or point the resolver at it for that zone`,
      );
    }
  }

  async unregister(): Promise<void> {
    if (this.registration !== 'systemd-resolved') return;
    this.registration = 'none';
    await this.resolvectl(['revert', this.device]).catch((err: Error) =>
      this.logger.warn({ err: err.message }, 'cannot revert the per-link DNS settings'),
    );
  }
}
