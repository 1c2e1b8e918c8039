import type { SqlExecutor } from './sql.js';

export class MetaStore {
  constructor(private readonly db: SqlExecutor) {}

  async get(key: string): Promise<string | undefined> {
    const row = await this.db.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key]);
    return row?.value;
  }

  /** Writes only when the key has no value yet; returns whether it wrote (instances racing at first start). */
  async setIfAbsent(key: string, value: string): Promise<boolean> {
    const r = await this.db.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [
      key,
      value,
    ]);
    return r.changes > 0;
  }

  async set(key: string, value: string): Promise<void> {
    await this.db.run(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }
}
