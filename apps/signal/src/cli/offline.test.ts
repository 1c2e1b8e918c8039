import { afterAll, describe, expect, test } from 'vitest';
import { checkAdminToken, ensureAdminToken } from '../auth/admin-token.js';
import { Store } from '../store/index.js';
import { dropSchema, freshSchema, requireServices, TEST_PG } from '../testing/services.js';
import { tempDir } from '../testing/test-client.js';
import { rotateTokenOffline } from './offline.js';

const ready = await requireServices({ pg: true });
const schema = freshSchema('offline');
const dir = tempDir();
afterAll(async () => {
  dir.remove();
  if (ready) await dropSchema(schema);
});

describe.runIf(ready)('offline token rotation on PostgreSQL', () => {
  test('rotate-token --data DIR --db URL replaces the token in the shared database', async () => {
    const store = await Store.connect({ dataDir: dir.path, database: TEST_PG, postgres: { schema } });
    await ensureAdminToken(store, dir.path, 'old-token');
    await store.close();
    // The schema rides in the URL, as an operator could also pass it.
    const url = `${TEST_PG}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const r = await rotateTokenOffline(dir.path, url);
    const after = await Store.connect({ dataDir: dir.path, database: TEST_PG, postgres: { schema } });
    expect(await checkAdminToken(after, 'old-token')).toBe(false);
    expect(await checkAdminToken(after, r.adminToken)).toBe(true);
    expect((await after.audit.list())[0]).toMatchObject({ action: 'admin.rotate-token' });
    await after.close();
  });
});
