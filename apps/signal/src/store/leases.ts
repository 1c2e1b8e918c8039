import type { SqlExecutor } from './sql.js';

export class LeaseStore {
  constructor(private readonly db: SqlExecutor) {}

  async leased(networkId: string): Promise<Set<string>> {
    const rows = await this.db.all<{ address: string }>('SELECT address FROM leases WHERE network_id = ?', [
      networkId,
    ]);
    return new Set(rows.map((r) => r.address));
  }

  /** The primary key (network, address) makes a double lease impossible even if callers race. */
  async insert(networkId: string, address: string, nodeId: string): Promise<void> {
    await this.db.run('INSERT INTO leases (network_id, address, node_id) VALUES (?, ?, ?)', [
      networkId,
      address,
      nodeId,
    ]);
  }
}
