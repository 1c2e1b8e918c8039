import { randomBytes } from 'node:crypto';
import { freshSchema, TEST_PG, TEST_REDIS } from '../../apps/signal/src/testing/services.js';

/**
 * The deployment the scale-out tests share: two rtcmesh-signal instances on one PostgreSQL schema
 * of their own and one Redis (own key prefix). Short heartbeats (500 ms, TTL 1.5 s) keep the
 * dead-instance cases quick; production uses 2 s / 6 s.
 */
export function twoInstanceDeployment(label: string) {
  const adminToken = `${label}-admin-token`;
  const schema = freshSchema(label);
  const options = {
    database: TEST_PG,
    postgres: { schema, poolSize: 4 },
    bus: TEST_REDIS,
    busPrefix: `t-${randomBytes(4).toString('hex')}`,
    busHeartbeat: { intervalMs: 500, ttlMs: 1500 },
    adminToken,
  };
  /** An admin REST call to one instance; throws with the answer on anything but 2xx. */
  async function admin<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }
  return { schema, options, admin };
}

/** Polls `cond` every 50 ms until it holds; throws naming `what` after `ms`. */
export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  ms = 15_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
