import type { RotateTokenResponse } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import { rotateAdminToken } from '../auth/admin-token.js';
import type { AdminEnv } from '../console/admin-auth.js';
import type { ConsoleSessions } from '../console/sessions.js';
import type { ControlPlaneDeps } from '../control-plane/control-plane.js';

/**
 * POST /api/v1/admin/rotate-token: a new admin token (answered once, also written to the data dir's
 * admin-token file); the old one is refused from the next request on and every console session is
 * signed out, since they were all opened with the old token.
 */
export function adminApi(
  deps: Pick<ControlPlaneDeps, 'store' | 'log'>,
  sessions: ConsoleSessions,
  dataDir: string,
): Hono<AdminEnv> {
  return new Hono<AdminEnv>().post('/rotate-token', async (c) => {
    const adminToken = await rotateAdminToken(deps.store, dataDir);
    const sessionsRevoked = sessions.revokeAll();
    deps.log.warn({ sessionsRevoked }, 'admin token rotated');
    const body: RotateTokenResponse = { adminToken, sessionsRevoked };
    c.header('cache-control', 'no-store');
    return c.json(body);
  });
}
