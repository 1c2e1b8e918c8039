import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';
import type { SqlDatabase, SqlExecutor, SqlValue } from './sql.js';

export type Db = Database.Database;

/** Opens (creating if needed) the SQLite file in `dataDir` and applies pending migrations. */
export function openDatabase(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'signal.db');
  // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the database's mode.
  closeSync(openSync(file, 'a', 0o600));
  const db = new Database(file);
  // WAL: readers never block the writer; synchronous=NORMAL is durable across process crashes.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `database schema v${current} is newer than this server (v${MIGRATIONS.length}); upgrade the server`,
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    const sql = MIGRATIONS[v]!;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** Statements on the one connection, prepared once and cached. */
class SqliteExecutor implements SqlExecutor {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Db) {}

  private prepare(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      // Unbounded SQL text would be a bug (all SQL is constant), but keep the cache bounded anyway.
      if (this.statements.size > 500) this.statements.clear();
      this.statements.set(sql, st);
    }
    return st;
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      return Promise.resolve(this.prepare(sql).all(...params) as T[]);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    try {
      return Promise.resolve(this.prepare(sql).get(...params) as T | undefined);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
    try {
      return Promise.resolve({ changes: this.prepare(sql).run(...params).changes });
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

/**
 * SQLite through better-sqlite3 (synchronous underneath). One connection, so a transaction would see
 * every statement issued while it is open, including other requests' statements interleaved at its
 * `await`s: while a transaction runs, statements from outside it wait for it to end.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  readonly location: string;
  private readonly exec: SqliteExecutor;
  private busy: Promise<void> | null = null;

  constructor(readonly db: Db) {
    this.exec = new SqliteExecutor(db);
    this.location = db.name;
  }

  static open(dataDir: string): SqliteDatabase {
    return new SqliteDatabase(openDatabase(dataDir));
  }

  async all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    while (this.busy) await this.busy;
    return this.exec.all<T>(sql, params);
  }

  async get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    while (this.busy) await this.busy;
    return this.exec.get<T>(sql, params);
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    while (this.busy) await this.busy;
    return this.exec.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    while (this.busy) await this.busy;
    let release = (): void => undefined;
    this.busy = new Promise<void>((r) => {
      release = r;
    });
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.exec);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.busy = null;
      release();
    }
  }

  async close(): Promise<void> {
    while (this.busy) await this.busy;
    if (this.db.open) this.db.close();
  }
}
