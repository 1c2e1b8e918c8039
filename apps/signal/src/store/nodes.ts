import type { Binding, Route, ScalarRecord } from '@rtcmesh/protocol';
import type { Db } from './db.js';

export type NodeRow = {
  id: string;
  networkId: string;
  name: string;
  publicKey: string;
  mac: string;
  hostname: string | null;
  os: string | null;
  agentVersion: string | null;
  joinKeyId: string | null;
  createdAt: number;
  lastSeen: number | null;
  endpoint: string | null;
  bindings: Binding[];
  routes: Route[];
  netcheck: ScalarRecord | null;
  /** Leased overlay IPs (without prefix length). */
  addresses: string[];
  /** Locked networks: the operator's signature over this node key. */
  keySignature: string | null;
};

type Raw = {
  id: string;
  network_id: string;
  name: string;
  public_key: string;
  mac: string;
  hostname: string | null;
  os: string | null;
  agent_version: string | null;
  join_key_id: string | null;
  created_at: number;
  last_seen: number | null;
  endpoint: string | null;
  bindings: string;
  routes: string;
  netcheck: string | null;
  addresses: string | null;
  key_signature: string | null;
};

// JSON columns were validated by the protocol schemas before they were written.
const toRow = (r: Raw): NodeRow => ({
  id: r.id,
  networkId: r.network_id,
  name: r.name,
  publicKey: r.public_key,
  mac: r.mac,
  hostname: r.hostname,
  os: r.os,
  agentVersion: r.agent_version,
  joinKeyId: r.join_key_id,
  createdAt: r.created_at,
  lastSeen: r.last_seen,
  endpoint: r.endpoint,
  bindings: JSON.parse(r.bindings) as Binding[],
  routes: JSON.parse(r.routes) as Route[],
  netcheck: r.netcheck === null ? null : (JSON.parse(r.netcheck) as ScalarRecord),
  addresses: r.addresses ? r.addresses.split(',') : [],
  keySignature: r.key_signature,
});

const SELECT = `SELECT n.*, (SELECT group_concat(address) FROM leases l WHERE l.node_id = n.id) AS addresses FROM nodes n`;

export type NewNode = Omit<
  NodeRow,
  'lastSeen' | 'endpoint' | 'bindings' | 'routes' | 'netcheck' | 'addresses' | 'keySignature'
>;

export class NodeStore {
  constructor(private readonly db: Db) {}

  insert(n: NewNode): void {
    this.db
      .prepare(
        'INSERT INTO nodes (id, network_id, name, public_key, mac, hostname, os, agent_version, join_key_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        n.id,
        n.networkId,
        n.name,
        n.publicKey,
        n.mac,
        n.hostname,
        n.os,
        n.agentVersion,
        n.joinKeyId,
        n.createdAt,
      );
  }

  get(id: string): NodeRow | undefined {
    const r = this.db.prepare(`${SELECT} WHERE n.id = ?`).get(id) as Raw | undefined;
    return r && toRow(r);
  }

  findByPublicKey(publicKey: string): NodeRow | undefined {
    const r = this.db.prepare(`${SELECT} WHERE n.public_key = ?`).get(publicKey) as Raw | undefined;
    return r && toRow(r);
  }

  /** Finds by id, or by name (names are unique per network only: the first match wins). */
  find(idOrName: string): NodeRow | undefined {
    return this.get(idOrName) ?? this.listWhere('n.name = ?', idOrName)[0];
  }

  list(networkId?: string): NodeRow[] {
    return networkId ? this.listWhere('n.network_id = ?', networkId) : this.listWhere('1 = 1');
  }

  private listWhere(where: string, ...args: string[]): NodeRow[] {
    return (
      this.db.prepare(`${SELECT} WHERE ${where} ORDER BY n.created_at, n.id`).all(...args) as Raw[]
    ).map(toRow);
  }

  macsOf(networkId: string): Set<string> {
    const rows = this.db.prepare('SELECT mac FROM nodes WHERE network_id = ?').all(networkId) as {
      mac: string;
    }[];
    return new Set(rows.map((r) => r.mac));
  }

  countInNetwork(networkId: string): number {
    return (
      this.db.prepare('SELECT count(*) AS c FROM nodes WHERE network_id = ?').get(networkId) as { c: number }
    ).c;
  }

  setSeen(id: string, lastSeen: number, endpoint: string | null, agentVersion?: string): void {
    if (agentVersion === undefined) {
      this.db
        .prepare('UPDATE nodes SET last_seen = ?, endpoint = ? WHERE id = ?')
        .run(lastSeen, endpoint, id);
    } else {
      this.db
        .prepare('UPDATE nodes SET last_seen = ?, endpoint = ?, agent_version = ? WHERE id = ?')
        .run(lastSeen, endpoint, agentVersion, id);
    }
  }

  setAdvertisements(id: string, bindings: Binding[] | undefined, routes: Route[] | undefined): void {
    if (bindings)
      this.db.prepare('UPDATE nodes SET bindings = ? WHERE id = ?').run(JSON.stringify(bindings), id);
    if (routes) this.db.prepare('UPDATE nodes SET routes = ? WHERE id = ?').run(JSON.stringify(routes), id);
  }

  /**
   * Rotates the node key: the old one is banned like a removed node's (it can never join or
   * authenticate again) and any operator signature, which covered the old key, is dropped.
   */
  rotateKey(id: string, oldPublicKey: string, newPublicKey: string, at: number): void {
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT OR REPLACE INTO revoked_node_keys (public_key, node_id, revoked_at) VALUES (?, ?, ?)',
        )
        .run(oldPublicKey, id, at);
      this.db
        .prepare('UPDATE nodes SET public_key = ?, key_signature = NULL WHERE id = ? AND public_key = ?')
        .run(newPublicKey, id, oldPublicKey);
    })();
  }

  setKeySignature(id: string, signature: string | null): void {
    this.db.prepare('UPDATE nodes SET key_signature = ? WHERE id = ?').run(signature, id);
  }

  setNetcheck(id: string, netcheck: ScalarRecord): void {
    this.db.prepare('UPDATE nodes SET netcheck = ? WHERE id = ?').run(JSON.stringify(netcheck), id);
  }

  /** Deletes the node and its leases, and records its key as revoked forever. */
  remove(id: string, at: number): boolean {
    return this.db.transaction(() => {
      const node = this.db.prepare('SELECT public_key FROM nodes WHERE id = ?').get(id) as
        | { public_key: string }
        | undefined;
      if (!node) return false;
      this.db
        .prepare(
          'INSERT OR REPLACE INTO revoked_node_keys (public_key, node_id, revoked_at) VALUES (?, ?, ?)',
        )
        .run(node.public_key, id, at);
      this.db.prepare('DELETE FROM leases WHERE node_id = ?').run(id);
      this.db.prepare('DELETE FROM nodes WHERE id = ?').run(id);
      return true;
    })();
  }

  /** The banned public key of a removed node, by its old id. */
  revokedKeyOf(nodeId: string): string | undefined {
    const r = this.db.prepare('SELECT public_key FROM revoked_node_keys WHERE node_id = ?').get(nodeId) as
      | { public_key: string }
      | undefined;
    return r?.public_key;
  }

  isKeyRevoked(publicKey: string): boolean {
    return (
      this.db.prepare('SELECT 1 FROM revoked_node_keys WHERE public_key = ?').get(publicKey) !== undefined
    );
  }
}
