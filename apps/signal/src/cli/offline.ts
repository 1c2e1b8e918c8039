import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RotateTokenResponse } from '@rtcmesh/protocol';
import { LOCAL_SOCKET_ACTOR } from '../audit/audit.js';
import { rotateAdminToken } from '../auth/admin-token.js';
import { metaPersist } from '../console/persist.js';
import { ConsoleSessions } from '../console/sessions.js';
import { Store } from '../store/index.js';

/**
 * Token rotation while the server is stopped: straight into its database (the caller saw that nothing
 * answers on the admin socket, so no server holds it). Same effects as the online route. `database`:
 * the server's --db (PostgreSQL); with several instances, rotate through a running one instead
 * (`--server`), which also signs out the console sessions the others hold in memory.
 */
export async function rotateTokenOffline(dataDir: string, database?: string): Promise<RotateTokenResponse> {
  if (!database && !existsSync(join(dataDir, 'signal.db')))
    throw new Error(`no rtcmesh-signal data in ${dataDir}`);
  const store = await Store.connect({ dataDir, ...(database ? { database } : {}) });
  try {
    const adminToken = await rotateAdminToken(store, dataDir);
    const persist = await metaPersist(store, 'console_sessions');
    const sessions = new ConsoleSessions({ persist });
    const sessionsRevoked = sessions.revokeAll();
    await persist.flush();
    await store.audit.append({
      at: Date.now(),
      actor: `${LOCAL_SOCKET_ACTOR} (offline)`,
      action: 'admin.rotate-token',
      target: null,
      source: null,
      result: 'ok',
    });
    return { adminToken, sessionsRevoked };
  } finally {
    await store.close();
  }
}
