import type { NetworkInfo, NetworkMode } from '@rtcmesh/protocol';
import type { Db } from './db.js';

export type NetworkRow = NetworkInfo & { createdAt: number };

type Raw = {
  id: string;
  name: string;
  mode: NetworkMode;
  cidr: string;
  mtu: number;
  created_at: number;
  lock_keys: string | null;
};
// lock_keys was validated (base64 Ed25519 keys) before it was written.
const toRow = (r: Raw): NetworkRow => ({
  id: r.id,
  name: r.name,
  mode: r.mode,
  cidr: r.cidr,
  mtu: r.mtu,
  createdAt: r.created_at,
  ...(r.lock_keys ? { lockKeys: JSON.parse(r.lock_keys) as string[] } : {}),
});

export class NetworkStore {
  constructor(private readonly db: Db) {}

  insert(n: NetworkRow): void {
    this.db
      .prepare('INSERT INTO networks (id, name, mode, cidr, mtu, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(n.id, n.name, n.mode, n.cidr, n.mtu, n.createdAt);
  }

  get(id: string): NetworkRow | undefined {
    const r = this.db.prepare('SELECT * FROM networks WHERE id = ?').get(id) as Raw | undefined;
    return r && toRow(r);
  }

  /** Looks a network up by id or by name. */
  find(idOrName: string): NetworkRow | undefined {
    const r = this.db.prepare('SELECT * FROM networks WHERE id = ? OR name = ?').get(idOrName, idOrName) as
      | Raw
      | undefined;
    return r && toRow(r);
  }

  /** Sets (or with an empty list, clears) the operator keys that lock the network. */
  setLockKeys(id: string, keys: readonly string[]): void {
    this.db
      .prepare('UPDATE networks SET lock_keys = ? WHERE id = ?')
      .run(keys.length > 0 ? JSON.stringify(keys) : null, id);
  }

  list(): NetworkRow[] {
    return (this.db.prepare('SELECT * FROM networks ORDER BY created_at, name').all() as Raw[]).map(toRow);
  }
}
