import type { SqlExecutor } from './sql.js';

/** Access-policy tags per node (the `tags` column of nodes, a JSON array validated before writing). */
export class NodeTagStore {
  constructor(private readonly db: SqlExecutor) {}

  async get(nodeId: string): Promise<string[]> {
    const r = await this.db.get<{ tags: string }>('SELECT tags FROM nodes WHERE id = ?', [nodeId]);
    return r ? (JSON.parse(r.tags) as string[]) : [];
  }

  async set(nodeId: string, tags: readonly string[]): Promise<boolean> {
    const r = await this.db.run('UPDATE nodes SET tags = ? WHERE id = ?', [
      JSON.stringify([...tags]),
      nodeId,
    ]);
    return r.changes > 0;
  }
}
