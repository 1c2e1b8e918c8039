import type { Binding, Route, ScalarRecord } from '@rtcmesh/protocol';
import type { SqlExecutor } from './sql.js';

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
  /** Access-policy tags (validated before they were written). */
  tags: string[];
  /** Route approval: what an admin (or an auto-approver) decided per advertised prefix. */
  routeDecisions: Record<string, RouteDecision>;
};

/** `auto`: approved by the policy's autoApprovers when it was advertised. No entry: pending. */
export type RouteDecision = 'approved' | 'auto' | 'rejected';

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
  tags: string;
  route_decisions: string;
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
  tags: JSON.parse(r.tags) as string[],
  routeDecisions: JSON.parse(r.route_decisions) as Record<string, RouteDecision>,
});

/** The node columns plus its leased addresses, comma-joined (the aggregate is spelled per engine). */
function selectNodes(db: SqlExecutor): string {
  const agg = db.dialect === 'postgres' ? "string_agg(address, ',')" : 'group_concat(address)';
  return `SELECT n.*, (SELECT ${agg} FROM leases l WHERE l.node_id = n.id) AS addresses FROM nodes n`;
}

export type NewNode = Omit<
  NodeRow,
  | 'lastSeen'
  | 'endpoint'
  | 'bindings'
  | 'routes'
  | 'netcheck'
  | 'addresses'
  | 'keySignature'
  | 'tags'
  | 'routeDecisions'
>;

export class NodeStore {
  private readonly select: string;

  constructor(private readonly db: SqlExecutor) {
    this.select = selectNodes(db);
  }

  async insert(n: NewNode): Promise<void> {
    await this.db.run(
      'INSERT INTO nodes (id, network_id, name, public_key, mac, hostname, os, agent_version, join_key_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
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
      ],
    );
  }

  async get(id: string): Promise<NodeRow | undefined> {
    const r = await this.db.get<Raw>(`${this.select} WHERE n.id = ?`, [id]);
    return r && toRow(r);
  }

  async findByPublicKey(publicKey: string): Promise<NodeRow | undefined> {
    const r = await this.db.get<Raw>(`${this.select} WHERE n.public_key = ?`, [publicKey]);
    return r && toRow(r);
  }

  /** The node with this id, or every node with this name (names are unique per network only). */
  async findAll(idOrName: string): Promise<NodeRow[]> {
    const byId = await this.get(idOrName);
    return byId ? [byId] : this.listWhere('n.name = ?', idOrName);
  }

  list(networkId?: string): Promise<NodeRow[]> {
    return networkId ? this.listWhere('n.network_id = ?', networkId) : this.listWhere('1 = 1');
  }

  private async listWhere(where: string, ...args: string[]): Promise<NodeRow[]> {
    const rows = await this.db.all<Raw>(`${this.select} WHERE ${where} ORDER BY n.created_at, n.id`, args);
    return rows.map(toRow);
  }

  async namesOf(networkId: string): Promise<Set<string>> {
    const rows = await this.db.all<{ name: string }>('SELECT name FROM nodes WHERE network_id = ?', [
      networkId,
    ]);
    return new Set(rows.map((r) => r.name));
  }

  async macsOf(networkId: string): Promise<Set<string>> {
    const rows = await this.db.all<{ mac: string }>('SELECT mac FROM nodes WHERE network_id = ?', [
      networkId,
    ]);
    return new Set(rows.map((r) => r.mac));
  }

  async countInNetwork(networkId: string): Promise<number> {
    const r = await this.db.get<{ c: number }>('SELECT count(*) AS c FROM nodes WHERE network_id = ?', [
      networkId,
    ]);
    return Number(r?.c ?? 0);
  }

  async setSeen(id: string, lastSeen: number, endpoint: string | null, agentVersion?: string): Promise<void> {
    if (agentVersion === undefined) {
      await this.db.run('UPDATE nodes SET last_seen = ?, endpoint = ? WHERE id = ?', [
        lastSeen,
        endpoint,
        id,
      ]);
    } else {
      await this.db.run('UPDATE nodes SET last_seen = ?, endpoint = ?, agent_version = ? WHERE id = ?', [
        lastSeen,
        endpoint,
        agentVersion,
        id,
      ]);
    }
  }

  async setAdvertisements(
    id: string,
    bindings: Binding[] | undefined,
    routes: Route[] | undefined,
  ): Promise<void> {
    if (bindings)
      await this.db.run('UPDATE nodes SET bindings = ? WHERE id = ?', [JSON.stringify(bindings), id]);
    if (routes) await this.db.run('UPDATE nodes SET routes = ? WHERE id = ?', [JSON.stringify(routes), id]);
  }

  async setRouteDecisions(id: string, decisions: Record<string, RouteDecision>): Promise<void> {
    await this.db.run('UPDATE nodes SET route_decisions = ? WHERE id = ?', [JSON.stringify(decisions), id]);
  }

  /**
   * Rotates the node key: the old one is banned like a removed node's (it can never join or
   * authenticate again) and any operator signature, which covered the old key, is dropped. Call inside
   * `Store.transaction` (the two statements are one change). Returns whether the key was replaced
   * (false: the node's key was no longer `oldPublicKey`).
   */
  async rotateKey(id: string, oldPublicKey: string, newPublicKey: string, at: number): Promise<boolean> {
    const r = await this.db.run(
      'UPDATE nodes SET public_key = ?, key_signature = NULL WHERE id = ? AND public_key = ?',
      [newPublicKey, id, oldPublicKey],
    );
    if (r.changes === 0) return false;
    await this.db.run(
      'INSERT INTO revoked_node_keys (public_key, node_id, revoked_at) VALUES (?, ?, ?) ON CONFLICT (public_key) DO UPDATE SET node_id = excluded.node_id, revoked_at = excluded.revoked_at',
      [oldPublicKey, id, at],
    );
    return true;
  }

  async setKeySignature(id: string, signature: string | null): Promise<void> {
    await this.db.run('UPDATE nodes SET key_signature = ? WHERE id = ?', [signature, id]);
  }

  async setNetcheck(id: string, netcheck: ScalarRecord): Promise<void> {
    await this.db.run('UPDATE nodes SET netcheck = ? WHERE id = ?', [JSON.stringify(netcheck), id]);
  }

  /** A new name (the caller checked that no node of the network has it). */
  async rename(id: string, name: string): Promise<void> {
    await this.db.run('UPDATE nodes SET name = ? WHERE id = ?', [name, id]);
  }

  /**
   * Deletes the node and its leases, and records its key as revoked forever. Call inside
   * `Store.transaction` (the three statements are one change).
   */
  async remove(id: string, at: number): Promise<boolean> {
    const node = await this.db.get<{ public_key: string }>('SELECT public_key FROM nodes WHERE id = ?', [id]);
    if (!node) return false;
    await this.db.run(
      'INSERT INTO revoked_node_keys (public_key, node_id, revoked_at) VALUES (?, ?, ?) ON CONFLICT (public_key) DO UPDATE SET node_id = excluded.node_id, revoked_at = excluded.revoked_at',
      [node.public_key, id, at],
    );
    await this.db.run('DELETE FROM leases WHERE node_id = ?', [id]);
    await this.db.run('DELETE FROM nodes WHERE id = ?', [id]);
    return true;
  }

  /** The banned public key of a removed node, by its old id. */
  async revokedKeyOf(nodeId: string): Promise<string | undefined> {
    const r = await this.db.get<{ public_key: string }>(
      'SELECT public_key FROM revoked_node_keys WHERE node_id = ?',
      [nodeId],
    );
    return r?.public_key;
  }

  async isKeyRevoked(publicKey: string): Promise<boolean> {
    return (
      (await this.db.get('SELECT 1 AS x FROM revoked_node_keys WHERE public_key = ?', [publicKey])) !==
      undefined
    );
  }
}
