import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Files and directories under `dataDir` that group or others can read: the database holds hashed
 * secrets and every node's metadata, admin-token the admin's credential. New ones are created 0600
 * (directories 0700); an existing looser one is only reported (the operator may share it on purpose).
 */
export function looseModes(dataDir: string): string[] {
  const out: string[] = [];
  const check = (path: string): void => {
    try {
      const st = statSync(path);
      if ((st.mode & 0o077) !== 0 && !st.isSocket())
        out.push(`${path} (${(st.mode & 0o777).toString(8).padStart(4, '0')})`);
      if (st.isDirectory()) for (const name of readdirSync(path)) check(join(path, name));
    } catch {
      // Gone meanwhile, or unreadable: nothing to report.
    }
  };
  check(dataDir);
  return out;
}
