import { pino } from 'pino';
import { afterAll, describe, expect, test } from 'vitest';
import { dropSchema, freshSchema, requireServices, TEST_PG } from '../testing/services.js';
import { tempDir } from '../testing/test-client.js';
import { isUniqueViolation, Store } from './index.js';
import { LastSeenWriter } from './last-seen.js';
import { MIGRATIONS } from './migrations.js';
import { PG_MIGRATIONS } from './pg-migrations.js';

// The same behaviour on both engines: every test below runs against SQLite and against PostgreSQL.
const pgUp = await requireServices({ pg: true });
const schemas: string[] = [];
const dirs: ReturnType<typeof tempDir>[] = [];
afterAll(async () => {
  for (const d of dirs) d.remove();
  for (const s of schemas) await dropSchema(s);
});

type Engine = { name: string; open(): Promise<Store>; reopen?: (s: Store) => Promise<Store> };
const sqlite: Engine = {
  name: 'sqlite',
  async open() {
    const d = tempDir();
    dirs.push(d);
    return Store.connect({ dataDir: d.path });
  },
};
const postgres: Engine = {
  name: 'postgres',
  async open() {
    const schema = freshSchema('store');
    schemas.push(schema);
    return Store.connect({ dataDir: '/nonexistent', database: TEST_PG, postgres: { schema, poolSize: 4 } });
  },
};

test('both engines have every migration', () => {
  expect(PG_MIGRATIONS.length).toBe(MIGRATIONS.length);
});

/** Every table and its columns, as the engine reports them after all migrations. */
async function schemaOf(store: Store, pgSchema?: string): Promise<Record<string, string[]>> {
  const rows =
    store.db.dialect === 'postgres'
      ? await store.db.all<{ t: string; c: string }>(
          'SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = ?',
          [pgSchema ?? ''],
        )
      : await store.db.all<{ t: string; c: string }>(
          "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        );
  const out: Record<string, string[]> = {};
  for (const { t, c } of rows) {
    out[t] ??= [];
    out[t].push(c);
  }
  for (const cols of Object.values(out)) cols.sort();
  return out;
}

// The two migration lists are written once per dialect: this keeps them producing one schema.
describe.skipIf(!pgUp)('migrations', () => {
  test('SQLite and PostgreSQL end with the same tables and columns', async () => {
    const lite = await sqlite.open();
    const schema = freshSchema('schema');
    schemas.push(schema);
    const pg = await Store.connect({
      dataDir: '/nonexistent',
      database: TEST_PG,
      postgres: { schema, poolSize: 2 },
    });
    try {
      const [a, b] = [await schemaOf(lite), await schemaOf(pg, schema)];
      // The PostgreSQL side keeps its migration bookkeeping in a table of its own.
      const pgTables = Object.keys(b).filter((t) => !(t in a));
      for (const t of pgTables) delete b[t];
      expect(pgTables.length).toBeLessThanOrEqual(1);
      expect(b).toEqual(a);
      expect(Object.keys(a)).toContain('networks');
      expect(a.networks).toContain('cidr6');
    } finally {
      await lite.close();
      await pg.close();
    }
  });
});

const net = (id: string, name = id) => ({
  id,
  name,
  mode: 'l2' as const,
  cidr: '10.1.0.0/24',
  mtu: 1280,
  createdAt: 1,
});
const node = (
  id: string,
  networkId: string,
  publicKey = `pk-${id}`,
  mac = `02:00:00:00:00:${id.slice(-2)}`,
) => ({
  id,
  networkId,
  name: id,
  publicKey,
  mac,
  hostname: null,
  os: 'linux',
  agentVersion: '1.0',
  joinKeyId: null,
  createdAt: Date.now(),
});

for (const engine of pgUp ? [sqlite, postgres] : [sqlite]) {
  describe(engine.name, () => {
    test('meta values are written, overwritten and read back', async () => {
      const s = await engine.open();
      expect(await s.meta.get('k')).toBeUndefined();
      await s.meta.set('k', 'a');
      await s.meta.set('k', 'b');
      expect(await s.meta.get('k')).toBe('b');
      await s.close();
    });

    test('networks are found by id or name; a second network of the same name is refused', async () => {
      const s = await engine.open();
      await s.networks.insert(net('net-1', 'office'));
      expect((await s.networks.find('office'))?.id).toBe('net-1');
      expect((await s.networks.find('net-1'))?.name).toBe('office');
      const err = await s.networks.insert(net('net-2', 'office')).catch((e: unknown) => e);
      expect(isUniqueViolation(err)).toBe(true);
      expect((await s.networks.list()).map((n) => n.id)).toEqual(['net-1']);
      await s.close();
    });

    test('a single-use key is consumed once; timestamps in ms survive the round trip', async () => {
      const s = await engine.open();
      await s.networks.insert(net('net-1'));
      const expiresAt = Date.now() + 86_400_000;
      await s.joinKeys.insert({
        id: 'k1',
        networkId: 'net-1',
        secretHash: 'h',
        reusable: false,
        description: null,
        createdAt: Date.now(),
        expiresAt,
        revokedAt: null,
        uses: 0,
      });
      expect(await s.joinKeys.consume('k1')).toBe(true);
      expect(await s.joinKeys.consume('k1')).toBe(false);
      const k = await s.joinKeys.get('k1');
      expect(k).toMatchObject({ reusable: false, uses: 1, expiresAt });
      expect(await s.joinKeys.revoke('k1', 5)).toBe(true);
      expect(await s.joinKeys.revoke('k1', 6)).toBe(false);
      expect((await s.joinKeys.list('net-1'))[0]?.revokedAt).toBe(5);
      await s.close();
    });

    test('a network is deleted with its keys, policy and leases once its nodes are removed', async () => {
      const s = await engine.open();
      await s.networks.insert(net('net-1', 'gone'));
      await s.networks.insert(net('net-2', 'kept'));
      await s.joinKeys.insert({
        id: 'k1',
        networkId: 'net-1',
        secretHash: 'h',
        reusable: true,
        description: null,
        createdAt: 1,
        expiresAt: null,
        revokedAt: null,
        uses: 0,
      });
      await s.policies.replace('net-1', 0, { acls: [] }, 1);
      await s.nodes.insert(node('n-01', 'net-1'));
      await s.leases.insert('net-1', '10.1.0.1', 'n-01');
      await s.nodes.insert(node('n-02', 'net-2'));
      await s.transaction(async (tx) => {
        await tx.nodes.remove('n-01', 5);
        await tx.networks.remove('net-1');
      });
      expect((await s.networks.list()).map((n) => n.name)).toEqual(['kept']);
      expect(await s.joinKeys.get('k1')).toBeUndefined();
      expect(await s.policies.get('net-1')).toBeUndefined();
      expect([...(await s.leases.leased('net-1'))]).toEqual([]);
      expect(await s.nodes.isKeyRevoked('pk-n-01')).toBe(true);
      expect(await s.nodes.get('n-02')).toBeDefined();
      await s.close();
    });

    test('nodes carry their leases; an address cannot be leased twice; removal bans the key', async () => {
      const s = await engine.open();
      await s.networks.insert(net('net-1'));
      await s.nodes.insert(node('n-01', 'net-1'));
      await s.nodes.insert(node('n-02', 'net-1'));
      await s.leases.insert('net-1', '10.1.0.1', 'n-01');
      const dup = await s.leases.insert('net-1', '10.1.0.1', 'n-02').catch((e: unknown) => e);
      expect(isUniqueViolation(dup)).toBe(true);
      expect((await s.nodes.get('n-01'))?.addresses).toEqual(['10.1.0.1']);
      expect((await s.nodes.findByPublicKey('pk-n-02'))?.addresses).toEqual([]);
      expect(await s.nodes.countInNetwork('net-1')).toBe(2);
      expect([...(await s.leases.leased('net-1'))]).toEqual(['10.1.0.1']);
      await s.nodes.setSeen('n-01', 1_700_000_000_000, '1.2.3.4:5', '2.0');
      await s.nodes.setAdvertisements('n-01', [{ mac: '02:00:00:00:00:09' }] as never, undefined);
      const [n1] = await s.nodes.findAll('n-01');
      expect(n1).toMatchObject({ lastSeen: 1_700_000_000_000, endpoint: '1.2.3.4:5', agentVersion: '2.0' });
      expect(n1?.bindings).toEqual([{ mac: '02:00:00:00:00:09' }]);
      expect(await s.transaction((tx) => tx.nodes.remove('n-01', 7))).toBe(true);
      expect(await s.nodes.get('n-01')).toBeUndefined();
      expect(await s.nodes.isKeyRevoked('pk-n-01')).toBe(true);
      expect(await s.nodes.revokedKeyOf('n-01')).toBe('pk-n-01');
      expect(await s.leases.leased('net-1')).toEqual(new Set());
      await s.close();
    });

    test('a transaction that throws leaves nothing behind', async () => {
      const s = await engine.open();
      await s.networks.insert(net('net-1'));
      await expect(
        s.transaction(async (tx) => {
          await tx.nodes.insert(node('n-01', 'net-1'));
          await tx.networks.lock('net-1');
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await s.nodes.list()).toEqual([]);
      await s.close();
    });

    test('lock keys, key signatures, key rotation, tags and policies (issue 7 tables)', async () => {
      const s = await engine.open();
      await s.networks.insert(net('net-1'));
      await s.nodes.insert(node('n-01', 'net-1'));
      await s.networks.setLockKeys('net-1', ['k1', 'k2']);
      expect((await s.networks.get('net-1'))?.lockKeys).toEqual(['k1', 'k2']);
      await s.networks.setLockKeys('net-1', []);
      expect((await s.networks.get('net-1'))?.lockKeys).toBeUndefined();
      await s.nodes.setKeySignature('n-01', 'sig');
      expect((await s.nodes.get('n-01'))?.keySignature).toBe('sig');
      expect(await s.transaction((tx) => tx.nodes.rotateKey('n-01', 'pk-n-01', 'pk-new', 5))).toBe(true);
      expect(await s.transaction((tx) => tx.nodes.rotateKey('n-01', 'pk-n-01', 'pk-other', 6))).toBe(false);
      expect(await s.nodes.get('n-01')).toMatchObject({ publicKey: 'pk-new', keySignature: null });
      expect(await s.nodes.isKeyRevoked('pk-n-01')).toBe(true);
      expect(await s.nodeTags.set('n-01', ['db', 'web'])).toBe(true);
      expect(await s.nodeTags.get('n-01')).toEqual(['db', 'web']);
      expect((await s.nodes.get('n-01'))?.tags).toEqual(['db', 'web']);
      const put = (expected: number) =>
        s.transaction(async (tx) => {
          await tx.networks.lock('net-1');
          return tx.policies.replace('net-1', expected, { rules: [] }, 9);
        });
      expect(await put(0)).toEqual({ ok: true, version: 1 });
      expect(await put(0)).toEqual({ ok: false, current: 1 });
      expect(await s.policies.get('net-1')).toMatchObject({
        version: 1,
        document: { rules: [], version: 1 },
      });
      await s.close();
    });

    test('last-seen writes are coalesced per node; the newest wins and the agent version is kept', async () => {
      const s = await engine.open();
      await s.networks.insert(net('net-1'));
      await s.nodes.insert(node('n-01', 'net-1'));
      const seen = new LastSeenWriter(s, pino({ level: 'silent' }), 1000);
      seen.record('n-01', 10, '1.1.1.1:1', '3.0');
      seen.record('n-01', 20, null);
      seen.record('n-gone', 30, null); // a removed node: nothing to update, nothing fails
      await seen.flush();
      expect(await s.nodes.get('n-01')).toMatchObject({ lastSeen: 20, endpoint: null, agentVersion: '3.0' });
      await s.close();
    });

    test('the audit log keeps only the newest entries and pages backwards', async () => {
      const s = await engine.open();
      const { AuditStore } = await import('./audit.js');
      const audit = new AuditStore(s.db, 5);
      for (let i = 1; i <= 12; i++)
        await audit.append({
          at: 1000 + i,
          actor: 'a',
          action: 'x',
          target: `n${i}`,
          source: null,
          result: 'ok',
        });
      expect((await audit.list()).map((e) => e.target)).toEqual(['n12', 'n11', 'n10', 'n9', 'n8']);
      expect((await audit.list({ limit: 2, before: 10 })).map((e) => e.id)).toEqual([9, 8]);
      expect(await audit.list({ limit: 5000 })).toHaveLength(5);
      await s.close();
    });
  });
}

if (pgUp) {
  test('postgres: instances starting together apply the migrations once', async () => {
    const schema = freshSchema('migr');
    schemas.push(schema);
    const open = () => Store.connect({ dataDir: '/x', database: TEST_PG, postgres: { schema, poolSize: 2 } });
    const stores = await Promise.all([open(), open(), open()]);
    await stores[0]!.meta.set('k', 'v');
    expect(await stores[2]!.meta.get('k')).toBe('v');
    const v = await stores[1]!.db.get<{ version: number }>('SELECT version FROM schema_version');
    expect(v?.version).toBe(PG_MIGRATIONS.length);
    await Promise.all(stores.map((s) => s.close()));
  });
}
