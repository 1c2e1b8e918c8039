/**
 * Schema migrations, applied in order inside one transaction each. Append only: never edit a released
 * migration, add a new one. `user_version` (SQLite pragma) records the last one applied.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE networks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    mode TEXT NOT NULL CHECK (mode IN ('l2','l3')),
    cidr TEXT NOT NULL,
    mtu INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE join_keys (
    id TEXT PRIMARY KEY,
    network_id TEXT NOT NULL REFERENCES networks(id),
    secret_hash TEXT NOT NULL,
    reusable INTEGER NOT NULL,
    description TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER,
    uses INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    network_id TEXT NOT NULL REFERENCES networks(id),
    name TEXT NOT NULL,
    public_key TEXT NOT NULL UNIQUE,
    mac TEXT NOT NULL,
    hostname TEXT,
    os TEXT,
    agent_version TEXT,
    join_key_id TEXT,
    created_at INTEGER NOT NULL,
    last_seen INTEGER,
    endpoint TEXT,
    bindings TEXT NOT NULL DEFAULT '[]',
    routes TEXT NOT NULL DEFAULT '[]',
    netcheck TEXT,
    UNIQUE (network_id, mac)
  );
  CREATE INDEX nodes_network ON nodes(network_id);
  CREATE TABLE leases (
    network_id TEXT NOT NULL REFERENCES networks(id),
    address TEXT NOT NULL,
    node_id TEXT NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    PRIMARY KEY (network_id, address)
  );
  CREATE INDEX leases_node ON leases(node_id);
  -- Keys of removed nodes: never accepted again, for join or for auth.
  CREATE TABLE revoked_node_keys (public_key TEXT PRIMARY KEY, node_id TEXT NOT NULL, revoked_at INTEGER NOT NULL);
  `,
  // v2: audit log of admin actions (issue 7).
  `
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    source TEXT,
    result TEXT NOT NULL
  );
  CREATE INDEX audit_log_at ON audit_log(at);
  `,
  // v3: locked networks (issue 7): operator lock keys per network, operator signature per node key.
  `
  ALTER TABLE networks ADD COLUMN lock_keys TEXT;
  ALTER TABLE nodes ADD COLUMN key_signature TEXT;
  `,
  // v4: access policy (issue 7, ACLs): one policy document per network, tags per node.
  `
  CREATE TABLE policies (
    network_id TEXT PRIMARY KEY REFERENCES networks(id),
    document TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  ALTER TABLE nodes ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
  `,
  // v5: route approval (issue 16): per node, the admin's (or an auto-approver's) decision per prefix.
  `
  ALTER TABLE nodes ADD COLUMN route_decisions TEXT NOT NULL DEFAULT '{}';
  -- Routes members used before approval existed stay in use: approved by the upgrade.
  UPDATE nodes SET route_decisions = COALESCE(
    (SELECT json_group_object(json_extract(r.value, '$.prefix'), 'approved') FROM json_each(nodes.routes) r),
    '{}'
  );
  `,
  // v6: signed policies in locked networks (issue 16): an operator's signature of the stored document.
  `
  ALTER TABLE policies ADD COLUMN signature TEXT;
  `,
  // v7: per-network L2 settings (issue 17): storm control and DHCP filtering, JSON; NULL = defaults.
  `
  ALTER TABLE networks ADD COLUMN l2_settings TEXT;
  `,
  // v8: dual-stack L3 networks (issue 19): the overlay's IPv6 prefix; NULL = IPv4 only.
  `
  ALTER TABLE networks ADD COLUMN cidr6 TEXT;
  `,
  // v9: lifting a lock (issue 19): the operator's signed disablement agents verify, JSON; NULL = none.
  `
  ALTER TABLE networks ADD COLUMN lock_disabled TEXT;
  `,
];
