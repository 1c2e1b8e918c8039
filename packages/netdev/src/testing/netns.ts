// Test and benchmark support: throwaway network namespaces and prerequisite checks.
// Not exported from the package index.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { runIp } from '../ip-command.js';

/** Why device tests cannot run here, or undefined when they can. */
export function missingDevicePrerequisite(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not running as root';
  if (!existsSync('/dev/net/tun')) return '/dev/net/tun is missing';
  if (!existsSync('/run/netns') && !existsSync('/var/run')) return 'no /run for network namespaces';
  return undefined;
}

/** A network namespace with a unique name; delete() is idempotent. */
export class TestNetns {
  readonly name: string;
  #deleted = false;
  private constructor(name: string) {
    this.name = name;
  }

  static async create(prefix = 'rtcmesh-nd'): Promise<TestNetns> {
    const name = `${prefix}-${process.pid}-${randomBytes(3).toString('hex')}`;
    await runIp(['netns', 'add', name]);
    const ns = new TestNetns(name);
    await runIp(['link', 'set', 'lo', 'up'], { netns: name });
    return ns;
  }

  ip(args: string[]): Promise<string> {
    return runIp(args, { netns: this.name });
  }

  /** Runs `node -e script` inside the namespace; resolves with stdout, rejects on failure. */
  node(script: string, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        'ip',
        ['netns', 'exec', this.name, process.execPath, '-e', script],
        { timeout: timeoutMs, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`node in netns ${this.name} failed: ${error.message}\n${stderr}`));
          else resolve(stdout);
        },
      );
    });
  }

  async delete(): Promise<void> {
    if (this.#deleted) return;
    this.#deleted = true;
    await runIp(['netns', 'del', this.name]);
  }
}
