/**
 * The storage boundary: the stores (meta.ts, nodes.ts, …) speak SQL through `SqlExecutor`, and
 * `SqlDatabase` has one implementation per engine: SQLite (sqlite.ts, the embedded default) and
 * PostgreSQL (postgres.ts, for several server instances on one database). Every call is async because
 * PostgreSQL is; on SQLite the promise is already settled when it is returned.
 *
 * SQL is written once, with `?` placeholders, in the subset both engines share (ON CONFLICT … DO
 * UPDATE, RETURNING, LIMIT ?). Where they differ the store asks `dialect`.
 */
export type SqlValue = string | number | null;

export type SqlDialect = 'sqlite' | 'postgres';

export interface SqlExecutor {
  readonly dialect: SqlDialect;
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Runs a statement; `changes` = rows inserted, updated or deleted. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export interface SqlDatabase extends SqlExecutor {
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. Statements
   * must go through `tx` (the connection that holds the transaction). On PostgreSQL `lockNetwork`
   * (`SELECT … FOR NO KEY UPDATE`) serializes writers per network; on SQLite the transaction takes the write
   * lock up front (BEGIN IMMEDIATE), so writers are serialized anyway.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Human-readable location (file path or database URL without password), for logs. */
  readonly location: string;
  close(): Promise<void>;
}

/** True for the error a UNIQUE or PRIMARY KEY violation raises, on either engine. */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
