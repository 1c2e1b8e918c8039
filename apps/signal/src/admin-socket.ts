import { existsSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';

export const ADMIN_SOCKET = 'admin.sock';

export function adminSocketPath(dataDir: string): string {
  return join(dataDir, ADMIN_SOCKET);
}

/**
 * Removes a stale socket file left by a crashed server. If something answers on it, another server uses
 * this data directory: refuse to start rather than share the database.
 */
export async function clearStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another rtcmesh-signal is running with this data directory (${path} answers)`);
  unlinkSync(path);
}
