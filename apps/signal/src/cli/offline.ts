import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RotateTokenResponse } from '@rtcmesh/protocol';
import { LOCAL_SOCKET_ACTOR } from '../audit/audit.js';
import { rotateAdminToken } from '../auth/admin-token.js';
import { ConsoleSessions } from '../console/sessions.js';
import { Store } from '../store/index.js';

/**
 * Token rotation while the server is stopped: straight into its database (the caller saw that nothing
 * answers on the admin socket, so no server holds it). Same effects as the online route.
 */
export function rotateTokenOffline(dataDir: string): RotateTokenResponse {
  if (!existsSync(join(dataDir, 'signal.db'))) throw new Error(`no rtcmesh-signal data in ${dataDir}`);
  const store = Store.open(dataDir);
  try {
    const adminToken = rotateAdminToken(store, dataDir);
    const sessions = new ConsoleSessions({
      persist: {
        load: () => store.meta.get('console_sessions'),
        save: (v) => store.meta.set('console_sessions', v),
      },
    });
    const sessionsRevoked = sessions.revokeAll();
    store.audit.append({
      at: Date.now(),
      actor: `${LOCAL_SOCKET_ACTOR} (offline)`,
      action: 'admin.rotate-token',
      target: null,
      source: null,
      result: 'ok',
    });
    return { adminToken, sessionsRevoked };
  } finally {
    store.close();
  }
}
