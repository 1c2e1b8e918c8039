import type { AuditEntry } from '@rtcmesh/protocol';
import type { Db } from './db.js';

/** Rows kept at most; older ones are deleted as new ones arrive (a flood of failed sign-ins cannot fill the disk). */
export const AUDIT_MAX_ROWS = 100_000;

type Raw = {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  source: string | null;
  result: string;
};

export class AuditStore {
  private inserts = 0;

  constructor(
    private readonly db: Db,
    private readonly maxRows = AUDIT_MAX_ROWS,
  ) {}

  append(e: Omit<AuditEntry, 'id'>): AuditEntry {
    const r = this.db
      .prepare('INSERT INTO audit_log (at, actor, action, target, source, result) VALUES (?, ?, ?, ?, ?, ?)')
      .run(e.at, e.actor, e.action, e.target, e.source, e.result);
    const id = Number(r.lastInsertRowid);
    // Trimming every insert would cost a delete per write; every 100th keeps the table within 1 %.
    if (++this.inserts % 100 === 0 || this.maxRows < 100)
      this.db.prepare('DELETE FROM audit_log WHERE id <= ?').run(id - this.maxRows);
    return { id, ...e };
  }

  /** Newest first; `before` (an id) pages backwards. */
  list(opts: { limit?: number; before?: number } = {}): AuditEntry[] {
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 1000);
    const rows = (
      opts.before === undefined
        ? this.db.prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?').all(limit)
        : this.db
            .prepare('SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?')
            .all(opts.before, limit)
    ) as Raw[];
    return rows.map((r) => ({ ...r }));
  }
}
