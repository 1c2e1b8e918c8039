import { execFile } from 'node:child_process';
import { NetDevCommandError } from './errors.js';

export interface IpCommandOptions {
  /** Run inside this network namespace (`ip -n NAME ...`). */
  readonly netns?: string | undefined;
  /** The iproute2 binary; tests point it elsewhere. */
  readonly binary?: string;
  /** Kill the command after this many ms (a wedged netlink call must not hang close()). */
  readonly timeoutMs?: number;
}

/**
 * Runs one iproute2 command without a shell and resolves with its stdout.
 * Any failure (missing binary, non-zero exit, timeout) rejects with a NetDevCommandError that
 * carries the full argv and stderr: configuration errors are never swallowed.
 */
export function runIp(args: readonly string[], options: IpCommandOptions = {}): Promise<string> {
  const binary = options.binary ?? 'ip';
  const argv = options.netns ? ['-n', options.netns, ...args] : [...args];
  const command = [binary, ...argv];
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      argv,
      { timeout: options.timeoutMs ?? 10_000, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          reject(new NetDevCommandError(command, null, '', `${binary} not found: install iproute2`));
        } else if (error.killed) {
          reject(
            new NetDevCommandError(command, null, stderr, `killed after ${options.timeoutMs ?? 10_000} ms`),
          );
        } else {
          reject(
            new NetDevCommandError(command, typeof code === 'number' ? code : null, stderr || error.message),
          );
        }
      },
    );
  });
}
