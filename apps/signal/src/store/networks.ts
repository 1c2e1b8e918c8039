import {
  type L2Settings,
  L2SettingsSchema,
  type LockDisablement,
  type NetworkInfo,
  type NetworkMode,
} from '@rtcmesh/protocol';
import type { SqlExecutor } from './sql.js';

export type NetworkRow = NetworkInfo & { createdAt: number };

type Raw = {
  id: string;
  name: string;
  mode: NetworkMode;
  cidr: string;
  cidr6: string | null;
  mtu: number;
  created_at: number;
  lock_keys: string | null;
  l2_settings: string | null;
  lock_disabled: string | null;
};

/** Stored settings are checked again on the way out: a row edited by hand cannot reach agents broken. */
function l2Of(raw: string | null): L2Settings | undefined {
  if (!raw) return undefined;
  try {
    const r = L2SettingsSchema.safeParse(JSON.parse(raw));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
// lock_keys was validated (base64 Ed25519 keys) before it was written.
const toRow = (r: Raw): NetworkRow => {
  const l2 = l2Of(r.l2_settings);
  return {
    id: r.id,
    name: r.name,
    mode: r.mode,
    cidr: r.cidr,
    ...(r.cidr6 ? { cidr6: r.cidr6 } : {}),
    mtu: r.mtu,
    createdAt: r.created_at,
    ...(r.lock_keys ? { lockKeys: JSON.parse(r.lock_keys) as string[] } : {}),
    // Verified against the lock keys it lifted before it was written.
    ...(r.lock_disabled ? { lockDisabled: JSON.parse(r.lock_disabled) as LockDisablement } : {}),
    ...(l2 ? { l2 } : {}),
  };
};

export class NetworkStore {
  constructor(private readonly db: SqlExecutor) {}

  async insert(n: NetworkRow): Promise<void> {
    await this.db.run(
      'INSERT INTO networks (id, name, mode, cidr, cidr6, mtu, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [n.id, n.name, n.mode, n.cidr, n.cidr6 ?? null, n.mtu, n.createdAt],
    );
  }

  async get(id: string): Promise<NetworkRow | undefined> {
    const r = await this.db.get<Raw>('SELECT * FROM networks WHERE id = ?', [id]);
    return r && toRow(r);
  }

  /**
   * Takes the network's row lock until the transaction ends (PostgreSQL: SELECT … FOR NO KEY UPDATE),
   * so concurrent joins into one network, on any instance, allocate addresses one after the other. NO
   * KEY: rows that merely reference the network (a new join key, say) do not wait for it. On SQLite
   * the transaction already holds the database's write lock. Call inside `Store.transaction`.
   */
  async lock(id: string): Promise<void> {
    if (this.db.dialect === 'postgres')
      await this.db.run('SELECT id FROM networks WHERE id = ? FOR NO KEY UPDATE', [id]);
  }

  /** Looks a network up by id or by name. */
  async find(idOrName: string): Promise<NetworkRow | undefined> {
    const r = await this.db.get<Raw>('SELECT * FROM networks WHERE id = ? OR name = ?', [idOrName, idOrName]);
    return r && toRow(r);
  }

  /**
   * Sets (or with an empty list, clears) the operator keys that lock the network, and the signed
   * disablement of the lock being lifted (cleared whenever keys are set).
   */
  async setLockKeys(id: string, keys: readonly string[], disabled?: LockDisablement): Promise<void> {
    await this.db.run('UPDATE networks SET lock_keys = ?, lock_disabled = ? WHERE id = ?', [
      keys.length > 0 ? JSON.stringify(keys) : null,
      keys.length === 0 && disabled ? JSON.stringify(disabled) : null,
      id,
    ]);
  }

  async setL2Settings(id: string, settings: L2Settings): Promise<void> {
    await this.db.run('UPDATE networks SET l2_settings = ? WHERE id = ?', [JSON.stringify(settings), id]);
  }

  /**
   * Deletes the network with its join keys, policy and leases; its nodes must be removed first
   * (NodeStore.remove: their keys stay revoked). Call inside `Store.transaction`.
   */
  async remove(id: string): Promise<void> {
    for (const sql of [
      'DELETE FROM leases WHERE network_id = ?',
      'DELETE FROM join_keys WHERE network_id = ?',
      'DELETE FROM policies WHERE network_id = ?',
      'DELETE FROM networks WHERE id = ?',
    ])
      await this.db.run(sql, [id]);
  }

  async list(): Promise<NetworkRow[]> {
    return (await this.db.all<Raw>('SELECT * FROM networks ORDER BY created_at, name')).map(toRow);
  }
}
