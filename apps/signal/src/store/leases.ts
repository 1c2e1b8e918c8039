import type { Db } from './db.js';

export class LeaseStore {
  constructor(private readonly db: Db) {}

  leased(networkId: string): Set<string> {
    const rows = this.db.prepare('SELECT address FROM leases WHERE network_id = ?').all(networkId) as {
      address: string;
    }[];
    return new Set(rows.map((r) => r.address));
  }

  /** The primary key (network, address) makes a double lease impossible even if callers race. */
  insert(networkId: string, address: string, nodeId: string): void {
    this.db
      .prepare('INSERT INTO leases (network_id, address, node_id) VALUES (?, ?, ?)')
      .run(networkId, address, nodeId);
  }
}
