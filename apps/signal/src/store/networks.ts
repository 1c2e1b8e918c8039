import type { NetworkInfo, NetworkMode } from '@rtcmesh/protocol';
import type { Db } from './db.js';

export type NetworkRow = NetworkInfo & { createdAt: number };

type Raw = { id: string; name: string; mode: NetworkMode; cidr: string; mtu: number; created_at: number };
const toRow = (r: Raw): NetworkRow => ({
  id: r.id,
  name: r.name,
  mode: r.mode,
  cidr: r.cidr,
  mtu: r.mtu,
  createdAt: r.created_at,
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

  list(): NetworkRow[] {
    return (this.db.prepare('SELECT * FROM networks ORDER BY created_at, name').all() as Raw[]).map(toRow);
  }
}
