import { AuditStore } from './audit.js';
import { type Db, openDatabase } from './db.js';
import { JoinKeyStore } from './join-keys.js';
import { LeaseStore } from './leases.js';
import { MetaStore } from './meta.js';
import { NetworkStore } from './networks.js';
import { NodeTagStore } from './node-tags.js';
import { NodeStore } from './nodes.js';
import { PolicyStore } from './policies.js';

/** All persistent state, one SQLite file. */
export class Store {
  readonly meta: MetaStore;
  readonly networks: NetworkStore;
  readonly joinKeys: JoinKeyStore;
  readonly nodes: NodeStore;
  readonly leases: LeaseStore;
  readonly audit: AuditStore;
  readonly policies: PolicyStore;
  readonly nodeTags: NodeTagStore;

  constructor(readonly db: Db) {
    this.meta = new MetaStore(db);
    this.networks = new NetworkStore(db);
    this.joinKeys = new JoinKeyStore(db);
    this.nodes = new NodeStore(db);
    this.leases = new LeaseStore(db);
    this.audit = new AuditStore(db);
    this.policies = new PolicyStore(db);
    this.nodeTags = new NodeTagStore(db);
  }

  static open(dataDir: string): Store {
    return new Store(openDatabase(dataDir));
  }

  /** Runs `fn` in one transaction (all or nothing). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    this.db.close();
  }
}
