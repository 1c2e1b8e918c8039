import { describe, expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import type { SqlDatabase } from '../store/index.js';
import { requireServices } from '../testing/services.js';
import { adminFetch, connectNode, joinNode } from '../testing/test-client.js';
import { useTwoInstances } from '../testing/two-instances.js';

/**
 * The relay hot path: a signal between agents on two instances (one database, an in-process bus
 * shared in this process) is delivered without a single database statement on either instance.
 */
const ready = await requireServices({ pg: true });
const SIGNAL = { kind: 'candidate', candidate: null };

/**
 * Counts the statements `db` runs outside transactions from now on (the batched last-seen writer runs
 * in its own transactions, at its own pace, and is not on the relay path).
 */
function countStatements(db: SqlDatabase): { count: number } {
  const counter = { count: 0 };
  const target = db as unknown as Record<'get' | 'all' | 'run', (...a: unknown[]) => unknown>;
  for (const m of ['get', 'all', 'run'] as const) {
    const original = target[m]!.bind(db);
    target[m] = (...args: unknown[]) => {
      counter.count++;
      return original(...args);
    };
  }
  return counter;
}

describe.runIf(ready)('relay between instances', () => {
  const { servers } = useTwoInstances('relay');

  test('100 signals cross from instance A to B with no database round trip', async () => {
    const [a, b] = servers as [SignalServer, SignalServer];
    await adminFetch(a, 'POST', '/api/v1/networks', { name: 'relay', mode: 'l3' });
    const { key } = (
      await adminFetch<{ key: string }>(b, 'POST', '/api/v1/keys', { network: 'relay', reusable: true })
    ).body;
    const one = await joinNode(a, key, 'one');
    const two = await joinNode(b, key, 'two');
    const c1 = (await connectNode(a, one)).client;
    const c2 = (await connectNode(b, two)).client;
    try {
      // `two` hears `one` come online only through the bus: then the directories agree.
      await c1.next('peer-joined', (m) => m.peer.nodeId === two.join.nodeId);
      const counters = [countStatements(a.parts.store.db), countStatements(b.parts.store.db)];
      for (let i = 0; i < 100; i++) c1.send({ type: 'signal', to: two.join.nodeId, data: SIGNAL });
      for (let i = 0; i < 100; i++) await c2.next('signal', (m) => m.from === one.join.nodeId);
      expect(counters.map((c) => c.count)).toEqual([0, 0]);
    } finally {
      c1.close();
      c2.close();
    }
  });
});
