import { describe, expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import { requireServices } from '../testing/services.js';
import { adminFetch, connectNode, joinNode } from '../testing/test-client.js';
import { useTwoInstances } from '../testing/two-instances.js';
import type { MemoryBus } from './memory-bus.js';

/**
 * Two instances (one database, an in-process bus) and a bus outage: an instance cut off from the bus
 * loses its sessions from the other's view (its peers there hear `peer-left`); when it is back, the
 * other reads its sessions in again and those peers must hear `peer-joined`, with the node as the
 * database knows it, or they would think it offline until it reconnects.
 */
const ready = await requireServices({ pg: true });
const heartbeat = { intervalMs: 100, ttlMs: 400 };

describe.runIf(ready)('a bus outage between instances', () => {
  const { servers, buses } = useTwoInstances('outage', { bus: { heartbeat } });

  test('peers on the other instance hear the node leave, then come back when the bus does', async () => {
    const [a, b] = servers as [SignalServer, SignalServer];
    const [busA] = buses as [MemoryBus];
    await adminFetch(a, 'POST', '/api/v1/networks', { name: 'outage', mode: 'l3' });
    const { key } = (
      await adminFetch<{ key: string }>(b, 'POST', '/api/v1/keys', { network: 'outage', reusable: true })
    ).body;
    const onA = await joinNode(a, key, 'on-a');
    const onB = await joinNode(b, key, 'on-b');
    const watcher = (await connectNode(b, onB)).client;
    const node = (await connectNode(a, onA)).client;
    try {
      await watcher.next('peer-joined', (m) => m.peer.nodeId === onA.join.nodeId);
      busA.partition();
      await watcher.next('peer-left', (m) => m.nodeId === onA.join.nodeId, 5000);
      busA.heal();
      const back = await watcher.next('peer-joined', (m) => m.peer.nodeId === onA.join.nodeId, 5000);
      expect(back.peer).toMatchObject({ name: 'on-a', online: true, mac: onA.join.mac });
    } finally {
      watcher.close();
      node.close();
    }
  });
});
