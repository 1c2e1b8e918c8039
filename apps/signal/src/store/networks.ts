import type { NetworkInfo, NetworkMode } from '@rtcmesh/protocol';
import type { SqlExecutor } from './sql.js';

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
  constructor(private readonly db: SqlExecutor) {}

  async insert(n: NetworkRow): Promise<void> {
    await this.db.run(
      'INSERT INTO networks (id, name, mode, cidr, mtu, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      [n.id, n.name, n.mode, n.cidr, n.mtu, n.createdAt],
    );
  }

  async get(id: string): Promise<NetworkRow | undefined> {
    const r = await this.db.get<Raw>('SELECT * FROM networks WHERE id = ?', [id]);
    return r && toRow(r);
  }

  /**
   * Takes the network's row lock until the transaction ends (PostgreSQL: SELECT … FOR UPDATE), so
   * concurrent joins into one network, on any instance, allocate addresses one after the other. On
   * SQLite the transaction already holds the database's write lock. Call inside `Store.transaction`.
   */
  async lock(id: string): Promise<void> {
    if (this.db.dialect === 'postgres')
      await this.db.run('SELECT id FROM networks WHERE id = ? FOR UPDATE', [id]);
  }

  /** Looks a network up by id or by name. */
  async find(idOrName: string): Promise<NetworkRow | undefined> {
    const r = await this.db.get<Raw>('SELECT * FROM networks WHERE id = ? OR name = ?', [idOrName, idOrName]);
    return r && toRow(r);
  }

  async list(): Promise<NetworkRow[]> {
    return (await this.db.all<Raw>('SELECT * FROM networks ORDER BY created_at, name')).map(toRow);
  }
}
