import type { AuditEntry } from '@rtcmesh/protocol';
import type { SqlExecutor } from './sql.js';

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
    private readonly db: SqlExecutor,
    private readonly maxRows = AUDIT_MAX_ROWS,
  ) {}

  async append(e: Omit<AuditEntry, 'id'>): Promise<AuditEntry> {
    const r = await this.db.get<{ id: number }>(
      'INSERT INTO audit_log (at, actor, action, target, source, result) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
      [e.at, e.actor, e.action, e.target, e.source, e.result],
    );
    const id = Number(r!.id);
    // Trimming every insert would cost a delete per write; every 100th keeps the table within 1 %.
    if (++this.inserts % 100 === 0 || this.maxRows < 100)
      await this.db.run('DELETE FROM audit_log WHERE id <= ?', [id - this.maxRows]);
    return { id, ...e };
  }

  /** Newest first; `before` (an id) pages backwards. */
  async list(opts: { limit?: number; before?: number } = {}): Promise<AuditEntry[]> {
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 1000);
    const rows =
      opts.before === undefined
        ? await this.db.all<Raw>('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?', [limit])
        : await this.db.all<Raw>('SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?', [
            opts.before,
            limit,
          ]);
    return rows.map((r) => ({ ...r }));
  }
}
