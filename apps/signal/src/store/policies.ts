import type { SqlExecutor } from './sql.js';

export type PolicyRow = {
  networkId: string;
  /** The policy JSON as validated and stored (its `version` field equals `version`). */
  document: Record<string, unknown>;
  version: number;
  updatedAt: number;
  /** Locked networks: an operator's signature of exactly this document (null: unsigned). */
  signature: string | null;
};

type Raw = {
  network_id: string;
  document: string;
  version: number;
  updated_at: number;
  signature: string | null;
};

/** One access policy per network (absent: nobody wrote one yet; everything is allowed). */
export class PolicyStore {
  constructor(private readonly db: SqlExecutor) {}

  async get(networkId: string): Promise<PolicyRow | undefined> {
    const r = await this.db.get<Raw>('SELECT * FROM policies WHERE network_id = ?', [networkId]);
    if (!r) return undefined;
    // The document was validated by the policy schema before it was written.
    return {
      networkId: r.network_id,
      document: JSON.parse(r.document) as Record<string, unknown>,
      version: r.version,
      updatedAt: r.updated_at,
      signature: r.signature,
    };
  }

  /**
   * Stores `document` as version `expected + 1`, only if the stored version is still `expected` (0 when
   * there is none): optimistic concurrency. Call inside `Store.transaction` after
   * `tx.networks.lock(networkId)`, so the check and the write are one step on every instance. Returns
   * the new version, or the current one on a conflict.
   */
  async replace(
    networkId: string,
    expected: number,
    document: Record<string, unknown>,
    at: number,
  ): Promise<{ ok: true; version: number } | { ok: false; current: number }> {
    const current = (await this.get(networkId))?.version ?? 0;
    if (current !== expected) return { ok: false as const, current };
    const version = current + 1;
    const text = JSON.stringify({ ...document, version });
    await this.db.run(
      `INSERT INTO policies (network_id, document, version, updated_at, signature) VALUES (?, ?, ?, ?, NULL)
       ON CONFLICT (network_id) DO UPDATE SET document = excluded.document, version = excluded.version,
       updated_at = excluded.updated_at, signature = NULL`,
      [networkId, text, version, at],
    );
    return { ok: true as const, version };
  }

  /**
   * Attaches an operator signature to stored policy `version` (the one that was signed; another
   * version is left alone). Call inside `Store.transaction` after `tx.networks.lock(networkId)` and
   * after checking the version. A new document (replace) drops the signature: it signed something else.
   */
  async setSignature(networkId: string, version: number, signature: string): Promise<void> {
    await this.db.run('UPDATE policies SET signature = ? WHERE network_id = ? AND version = ?', [
      signature,
      networkId,
      version,
    ]);
  }
}
