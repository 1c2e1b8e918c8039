import { AuditStore } from './audit.js';
import { JoinKeyStore } from './join-keys.js';
import { LeaseStore } from './leases.js';
import { MetaStore } from './meta.js';
import { NetworkStore } from './networks.js';
import { NodeTagStore } from './node-tags.js';
import { NodeStore } from './nodes.js';
import { PolicyStore } from './policies.js';
import { PostgresDatabase, type PostgresOptions } from './postgres.js';
import type { SqlDatabase, SqlExecutor } from './sql.js';
import { SqliteDatabase } from './sqlite.js';

export {
  isUniqueViolation,
  type SqlDatabase,
  type SqlDialect,
  type SqlExecutor,
  type SqlValue,
} from './sql.js';

/** The tables, on one connection or inside one transaction. */
export class StoreTables {
  readonly meta: MetaStore;
  readonly networks: NetworkStore;
  readonly joinKeys: JoinKeyStore;
  readonly nodes: NodeStore;
  readonly leases: LeaseStore;
  readonly audit: AuditStore;
  readonly policies: PolicyStore;
  readonly nodeTags: NodeTagStore;

  constructor(db: SqlExecutor) {
    this.meta = new MetaStore(db);
    this.networks = new NetworkStore(db);
    this.joinKeys = new JoinKeyStore(db);
    this.nodes = new NodeStore(db);
    this.leases = new LeaseStore(db);
    this.audit = new AuditStore(db);
    this.policies = new PolicyStore(db);
    this.nodeTags = new NodeTagStore(db);
  }
}

/** Where the server keeps its state: `<dataDir>/signal.db` (SQLite) unless `database` is a postgres:// URL. */
export type StoreLocation = { dataDir: string; database?: string; postgres?: PostgresOptions };

/** All persistent state: SQLite (one file, the default) or PostgreSQL (shared by several instances). */
export class Store extends StoreTables {
  constructor(readonly db: SqlDatabase) {
    super(db);
  }

  get dialect(): SqlDatabase['dialect'] {
    return this.db.dialect;
  }

  /** Opens the SQLite database in `dataDir` (sync: used by offline CLI commands and tests). */
  static open(dataDir: string): Store {
    return new Store(SqliteDatabase.open(dataDir));
  }

  /** Opens the configured database: PostgreSQL for a postgres:// or postgresql:// URL, else SQLite. */
  static async connect(where: StoreLocation): Promise<Store> {
    if (where.database && isPostgresUrl(where.database))
      return new Store(await PostgresDatabase.open(where.database, where.postgres));
    return Store.open(where.dataDir);
  }

  /** Runs `fn` in one transaction (all or nothing); `fn` must use the tables it is given. */
  transaction<T>(fn: (tx: StoreTables) => Promise<T>): Promise<T> {
    return this.db.transaction((exec) => fn(new StoreTables(exec)));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}
