import type { Db } from './db.js';

export type PolicyRow = {
  networkId: string;
  /** The policy JSON as validated and stored (its `version` field equals `version`). */
  document: Record<string, unknown>;
  version: number;
  updatedAt: number;
};

type Raw = { network_id: string; document: string; version: number; updated_at: number };

/** One access policy per network (absent: nobody wrote one yet; everything is allowed). */
export class PolicyStore {
  constructor(private readonly db: Db) {}

  get(networkId: string): PolicyRow | undefined {
    const r = this.db.prepare('SELECT * FROM policies WHERE network_id = ?').get(networkId) as
      | Raw
      | undefined;
    if (!r) return undefined;
    // The document was validated by the policy schema before it was written.
    return {
      networkId: r.network_id,
      document: JSON.parse(r.document) as Record<string, unknown>,
      version: r.version,
      updatedAt: r.updated_at,
    };
  }

  /**
   * Stores `document` as version `expected + 1`, only if the stored version is still `expected` (0 when
   * there is none): optimistic concurrency, checked and written in one transaction. Returns the new
   * version, or the current one on a conflict.
   */
  replace(
    networkId: string,
    expected: number,
    document: Record<string, unknown>,
    at: number,
  ): { ok: true; version: number } | { ok: false; current: number } {
    return this.db.transaction(() => {
      const current = this.get(networkId)?.version ?? 0;
      if (current !== expected) return { ok: false as const, current };
      const version = current + 1;
      const text = JSON.stringify({ ...document, version });
      this.db
        .prepare(
          `INSERT INTO policies (network_id, document, version, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (network_id) DO UPDATE SET document = excluded.document, version = excluded.version,
           updated_at = excluded.updated_at`,
        )
        .run(networkId, text, version, at);
      return { ok: true as const, version };
    })();
  }
}
