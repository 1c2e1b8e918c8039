import { randomBytes } from 'node:crypto';
import { execCommand, run } from './exec.js';

/** Every lab namespace is named `rtm<run id>-<owner pid>-<role>`; the pid lets reapStale find dead runs. */
const NS_PATTERN = /^rtm([a-z0-9]{4})-(\d+)-([a-z0-9-]+)$/;

/** A fresh 4-character run id (base 36). */
export function newRunId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(4)].map((b) => alphabet[b % alphabet.length]).join('');
}

export function nsName(runId: string, role: string): string {
  return `rtm${runId}-${process.pid}-${role}`;
}

/** Names of all network namespaces on the machine. */
export async function listNamespaces(): Promise<string[]> {
  const out = await run('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.length > 0);
}

/** Namespaces of one run (or of every lab run when runId is omitted). */
export async function labNamespaces(runId?: string): Promise<string[]> {
  return (await listNamespaces()).filter((n) => {
    const m = NS_PATTERN.exec(n);
    return m !== null && (runId === undefined || m[1] === runId);
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills every process inside a namespace, then deletes it. Best effort: never throws. */
export async function destroyNamespace(ns: string): Promise<void> {
  const pids = await execCommand('ip', ['netns', 'pids', ns]);
  for (const p of pids.stdout.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(p), 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  await execCommand('ip', ['netns', 'delete', ns]);
}

/**
 * Removes namespaces left behind by lab runs whose owner process is gone (a crashed or killed test
 * run). Returns the names it removed.
 */
export async function reapStale(): Promise<string[]> {
  const stale = (await labNamespaces()).filter((n) => {
    const pid = Number(NS_PATTERN.exec(n)![2]);
    return pid !== process.pid && !pidAlive(pid);
  });
  for (const ns of stale) await destroyNamespace(ns);
  return stale;
}
