import { access, chmod, mkdir, writeFile } from 'node:fs/promises';
import { execCommand, type LabHost } from '../../../test/lab/index.js';

export async function which(bin: string): Promise<string | undefined> {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/bin', '/usr/local/sbin']) {
    try {
      await access(`${dir}/${bin}`);
      return `${dir}/${bin}`;
    } catch {
      // next
    }
  }
  return undefined;
}

export async function writeFiles(files: Record<string, string>, executable: string[] = []): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(path.slice(0, path.lastIndexOf('/')), { recursive: true });
    await writeFile(path, text);
    if (executable.includes(path)) await chmod(path, 0o755);
  }
}

export async function mustRun(cmd: string, args: string[], host?: LabHost): Promise<string> {
  const r = host
    ? await host.exec(cmd, args, { timeoutMs: 20_000 })
    : await execCommand(cmd, args, { timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Waits until `check` resolves true (polling every 50 ms). */
export async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
