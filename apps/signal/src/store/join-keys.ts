import type { Db } from './db.js';

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
  constructor(private readonly db: Db) {}

  insert(k: JoinKeyRow): void {
    this.db
      .prepare(
        'INSERT INTO join_keys (id, network_id, secret_hash, reusable, description, created_at, expires_at, revoked_at, uses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        k.id,
        k.networkId,
        k.secretHash,
        k.reusable ? 1 : 0,
        k.description,
        k.createdAt,
        k.expiresAt,
        k.revokedAt,
        k.uses,
      );
  }

  get(id: string): JoinKeyRow | undefined {
    const r = this.db.prepare('SELECT * FROM join_keys WHERE id = ?').get(id) as Raw | undefined;
    return r && toRow(r);
  }

  list(networkId?: string): JoinKeyRow[] {
    const rows = networkId
      ? this.db.prepare('SELECT * FROM join_keys WHERE network_id = ? ORDER BY created_at').all(networkId)
      : this.db.prepare('SELECT * FROM join_keys ORDER BY created_at').all();
    return (rows as Raw[]).map(toRow);
  }

  revoke(id: string, at: number): boolean {
    return (
      this.db.prepare('UPDATE join_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(at, id)
        .changes > 0
    );
  }

  /**
   * Counts one use. For a single-use key the update only succeeds when it was unused, so two concurrent
   * joins cannot both consume it.
   */
  consume(id: string): boolean {
    return (
      this.db
        .prepare('UPDATE join_keys SET uses = uses + 1 WHERE id = ? AND (reusable = 1 OR uses = 0)')
        .run(id).changes > 0
    );
  }
}
