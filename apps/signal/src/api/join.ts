import type { HttpBindings } from '@hono/node-server';
import { ErrorCode, type JoinRequest, JoinRequestSchema } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import { parseJoinKey } from '../auth/join-key.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { ControlPlaneError } from '../control-plane/errors.js';
import { KeyedRateLimiter } from '../limits/keyed-rate-limiter.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ClientAddressResolver } from '../net/client-address.js';
import { errorBody, readBody } from './errors.js';

export type JoinLimits = {
  /** Attempts per minute, sustained, per client address and per join key; 0 = no limit. */
  perMinute: number;
  burst: number;
};

/**
 * POST /api/v1/join: authenticated by the join key in the body, not by the admin token. Attempts are
 * rate-limited per client address and per join key (token buckets): a leaked reusable key cannot mint
 * nodes at line rate, and one host cannot hammer the endpoint. Over the limit: 429 `rate-limited`
 * with `Retry-After` (seconds), counted in rtcmesh_limit_hits_total{limit="join-per-ip"|"join-per-key"}.
 */
export function joinApi(
  controlPlane: ControlPlane,
  metrics: Metrics,
  addresses: ClientAddressResolver,
  limits: JoinLimits,
): Hono<{ Bindings: HttpBindings }> {
  const perIp = limits.perMinute > 0 ? new KeyedRateLimiter(limits.perMinute, limits.burst) : null;
  const perKey = limits.perMinute > 0 ? new KeyedRateLimiter(limits.perMinute, limits.burst) : null;
  return new Hono<{ Bindings: HttpBindings }>().post('/', async (c) => {
    const incoming = c.env?.incoming;
    const remote = addresses.resolve(incoming?.socket?.remoteAddress, incoming?.headers['x-forwarded-for']);
    const limited = (limit: string, retryAfter: number, what: string) => {
      metrics.limited.inc({ limit });
      metrics.joins.inc({ result: ErrorCode.RateLimited });
      c.header('retry-after', String(retryAfter));
      return c.json(
        errorBody(ErrorCode.RateLimited, `too many join attempts ${what}; retry in ${retryAfter} s`),
        429,
      );
    };
    const ipWait = perIp?.take(remote ?? 'unknown') ?? 0;
    if (ipWait > 0) return limited('join-per-ip', ipWait, 'from this address');
    let req: JoinRequest;
    try {
      req = await readBody(c, JoinRequestSchema);
    } catch (err) {
      // A malformed join is rejected input like a malformed message: counted once, as an attempt too.
      if (err instanceof ControlPlaneError) {
        metrics.rejected.inc({ reason: err.code });
        metrics.joins.inc({ result: err.code });
      }
      throw err;
    }
    const keyId = parseJoinKey(req.key)?.id ?? 'malformed';
    const keyWait = perKey?.take(keyId) ?? 0;
    if (keyWait > 0) return limited('join-per-key', keyWait, 'with this join key');
    return c.json(await controlPlane.join(req, remote), 200);
  });
}
