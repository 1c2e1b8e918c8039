import pg from 'pg';
import { PG_MIGRATIONS } from './pg-migrations.js';
import type { SqlDatabase, SqlExecutor, SqlValue } from './sql.js';

// BIGINT (timestamps, counts) as JS numbers: every value we store is far below 2^53.
pg.types.setTypeParser(20, (v: string) => Number(v));

/** Any advisory-lock key works as long as every rtcmesh-signal instance uses the same one. */
const MIGRATION_LOCK = 0x7274636d; // "rtcm"

/** `?` placeholders (the shared SQL) to PostgreSQL's `$1, $2, …`. The SQL has no `?` in literals. */
function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

class PgExecutor implements SqlExecutor {
  readonly dialect = 'postgres' as const;
  constructor(private readonly q: pg.Pool | pg.PoolClient) {}

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const r = await this.q.query(numbered(sql), params as SqlValue[]);
    return r.rows as T[];
  }

  async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    const r = await this.q.query(numbered(sql), params as SqlValue[]);
    return { changes: r.rowCount ?? 0 };
  }
}

export type PostgresOptions = {
  /** Connections per instance (default 10). Requests beyond it wait for a free connection. */
  poolSize?: number;
  /** Tables go into this schema (created if missing) instead of `public`; tests use one per file. */
  schema?: string;
};

/**
 * PostgreSQL through `pg`'s pool: many rtcmesh-signal instances can share one database. Migrations run
 * under an advisory lock, so instances starting together apply each one exactly once; the version is
 * kept in `schema_version` (the counterpart of SQLite's user_version).
 */
export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  private readonly exec: PgExecutor;

  private constructor(
    private readonly pool: pg.Pool,
    url: string,
  ) {
    this.exec = new PgExecutor(pool);
    this.location = redact(url);
  }

  static async open(url: string, opts: PostgresOptions = {}): Promise<PostgresDatabase> {
    if (opts.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(opts.schema))
      throw new Error(`invalid schema name ${opts.schema}`);
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: 10_000,
      ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
    });
    // An idle connection that breaks (server restart) must not crash the process: the pool drops it.
    pool.on('error', () => undefined);
    const db = new PostgresDatabase(pool, url);
    try {
      await db.migrate(opts.schema);
    } catch (err) {
      await pool.end();
      throw err;
    }
    return db;
  }

  private async migrate(schema: string | undefined): Promise<void> {
    await this.transaction(async (tx) => {
      await tx.run(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      // Under the lock: CREATE SCHEMA IF NOT EXISTS is not safe against a concurrent one.
      if (schema) await tx.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await tx.run('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
      const row = await tx.get<{ version: number }>('SELECT version FROM schema_version');
      const current = row?.version ?? 0;
      if (!row) await tx.run('INSERT INTO schema_version (version) VALUES (0)');
      if (current > PG_MIGRATIONS.length) {
        throw new Error(
          `database schema v${current} is newer than this server (v${PG_MIGRATIONS.length}); upgrade the server`,
        );
      }
      for (let v = current; v < PG_MIGRATIONS.length; v++) {
        await tx.run(PG_MIGRATIONS[v]!);
        await tx.run('UPDATE schema_version SET version = ?', [v + 1]);
      }
    });
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.exec.all<T>(sql, params);
  }
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.exec.get<T>(sql, params);
  }
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    return this.exec.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      try {
        const result = await fn(new PgExecutor(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** The URL without its password, for logs. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable url)';
  }
}
