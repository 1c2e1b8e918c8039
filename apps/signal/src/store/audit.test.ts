import Database from 'better-sqlite3';
import { afterEach, expect, test } from 'vitest';
import { tempDir } from '../testing/test-client.js';
import { AuditStore } from './audit.js';
import { migrate, openDatabase } from './db.js';
import { MIGRATIONS } from './migrations.js';
import { SqliteDatabase } from './sqlite.js';

let dir: ReturnType<typeof tempDir> | undefined;
afterEach(() => dir?.remove());

const entry = (i: number) => ({
  at: 1000 + i,
  actor: 'local socket',
  action: 'network.create',
  target: `n${i}`,
  source: null,
  result: 'ok',
});

test('a v1 database gains the audit log on upgrade and keeps its data', async () => {
  dir = tempDir();
  const old = new Database(`${dir.path}/signal.db`);
  old.exec(MIGRATIONS[0]!);
  old.pragma('user_version = 1');
  old.prepare("INSERT INTO meta (key, value) VALUES ('admin_token_hash', 'abc')").run();
  old.close();
  const db = openDatabase(dir.path);
  expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
  expect(db.prepare('SELECT value FROM meta').get()).toEqual({ value: 'abc' });
  const audit = new AuditStore(new SqliteDatabase(db));
  expect((await audit.append(entry(1))).id).toBe(1);
  expect(await audit.list()).toEqual([{ id: 1, ...entry(1) }]);
  migrate(db); // idempotent
  db.close();
});
