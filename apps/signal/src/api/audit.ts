import { ErrorCode } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import type { AdminEnv } from '../console/admin-auth.js';
import { ControlPlaneError } from '../control-plane/errors.js';
import type { Store } from '../store/index.js';

/** GET /api/v1/audit?limit=100&before=<id>: audit entries, newest first (limit 1..1000). */
export function auditApi(store: Pick<Store, 'audit'>): Hono<AdminEnv> {
  return new Hono<AdminEnv>().get('/', async (c) => {
    const limit = intParam(c.req.query('limit'), 'limit');
    const before = intParam(c.req.query('before'), 'before');
    return c.json({
      entries: await store.audit.list({
        ...(limit === undefined ? {} : { limit }),
        ...(before === undefined ? {} : { before }),
      }),
    });
  });
}

function intParam(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,15}$/.test(v))
    throw new ControlPlaneError(ErrorCode.InvalidMessage, `${name} must be a positive integer`);
  return Number(v);
}
