import type { Db } from './db.js';

/** Access-policy tags per node (the `tags` column of nodes, a JSON array validated before writing). */
export class NodeTagStore {
  constructor(private readonly db: Db) {}

  get(nodeId: string): string[] {
    const r = this.db.prepare('SELECT tags FROM nodes WHERE id = ?').get(nodeId) as
      | { tags: string }
      | undefined;
    return r ? (JSON.parse(r.tags) as string[]) : [];
  }

  set(nodeId: string, tags: readonly string[]): boolean {
    const r = this.db
      .prepare('UPDATE nodes SET tags = ? WHERE id = ?')
      .run(JSON.stringify([...tags]), nodeId);
    return r.changes > 0;
  }
}
