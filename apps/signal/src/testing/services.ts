import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import pg from 'pg';
import { type Logger, pino } from 'pino';
import { test } from 'vitest';

/** The PostgreSQL and Redis the scale-out tests use (.ci/services.sh starts both on loopback). */
export const TEST_PG = process.env.RTCMESH_TEST_PG ?? 'postgres://rtcmesh:rtcmesh@127.0.0.1:5432/rtcmesh';
export const TEST_REDIS = process.env.RTCMESH_TEST_REDIS ?? 'redis://127.0.0.1:6379';

function tcpReachable(url: string, defaultPort: number): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('error', () => done(false));
    s.connect(Number(u.port || defaultPort), u.hostname, () => done(true));
  });
}

async function pgReachable(): Promise<boolean> {
  if (!(await tcpReachable(TEST_PG, 5432))) return false;
  const c = new pg.Client({ connectionString: TEST_PG, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/**
 * Whether the tests that need `what` can run. Outside CI a missing service skips them; in CI
 * (`CI` set) it registers a failing test instead, so a broken CI setup cannot pass silently.
 */
export async function requireServices(what: { pg?: boolean; redis?: boolean }): Promise<boolean> {
  const missing: string[] = [];
  if (what.pg && !(await pgReachable())) missing.push(`PostgreSQL at ${TEST_PG} (RTCMESH_TEST_PG)`);
  if (what.redis && !(await tcpReachable(TEST_REDIS, 6379)))
    missing.push(`Redis at ${TEST_REDIS} (RTCMESH_TEST_REDIS)`);
  if (missing.length === 0) return true;
  if (process.env.CI) {
    test('scale-out services are reachable', () => {
      throw new Error(`not reachable: ${missing.join(', ')}; run .ci/services.sh`);
    });
  }
  return false;
}

/** A schema of its own for one test file (dropped by `dropSchema`), so files running in parallel never meet. */
export function freshSchema(label: string): string {
  return `t_${label.replace(/[^a-z0-9]/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: TEST_PG });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}

/** A silent pino logger for code under test that wants one (test/ has no pino of its own). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
