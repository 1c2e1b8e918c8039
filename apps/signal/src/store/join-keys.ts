import type { SqlExecutor } from './sql.js';

export type JoinKeyRow = {
  id: string;
  networkId: string;
  secretHash: string;
  reusable: boolean;
  description: string | null;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  uses: number;
};

type Raw = {
  id: string;
  network_id: string;
  secret_hash: string;
  reusable: number;
  description: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  uses: number;
};
const toRow = (r: Raw): JoinKeyRow => ({
  id: r.id,
  networkId: r.network_id,
  secretHash: r.secret_hash,
  reusable: r.reusable === 1,
  description: r.description,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  uses: r.uses,
});

export class JoinKeyStore {
  constructor(private readonly db: SqlExecutor) {}

  async insert(k: JoinKeyRow): Promise<void> {
    await this.db.run(
      'INSERT INTO join_keys (id, network_id, secret_hash, reusable, description, created_at, expires_at, revoked_at, uses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        k.id,
        k.networkId,
        k.secretHash,
        k.reusable ? 1 : 0,
        k.description,
        k.createdAt,
        k.expiresAt,
        k.revokedAt,
        k.uses,
      ],
    );
  }

  async get(id: string): Promise<JoinKeyRow | undefined> {
    const r = await this.db.get<Raw>('SELECT * FROM join_keys WHERE id = ?', [id]);
    return r && toRow(r);
  }

  async list(networkId?: string): Promise<JoinKeyRow[]> {
    const rows = networkId
      ? await this.db.all<Raw>('SELECT * FROM join_keys WHERE network_id = ? ORDER BY created_at', [
          networkId,
        ])
      : await this.db.all<Raw>('SELECT * FROM join_keys ORDER BY created_at');
    return rows.map(toRow);
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const r = await this.db.run('UPDATE join_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [
      at,
      id,
    ]);
    return r.changes > 0;
  }

  /**
   * Counts one use. For a single-use key the update only succeeds when it was unused, so two concurrent
   * joins cannot both consume it (on PostgreSQL the second waits for the first's row lock, then sees
   * uses = 1).
   */
  async consume(id: string): Promise<boolean> {
    const r = await this.db.run(
      'UPDATE join_keys SET uses = uses + 1 WHERE id = ? AND (reusable = 1 OR uses = 0)',
      [id],
    );
    return r.changes > 0;
  }
}
