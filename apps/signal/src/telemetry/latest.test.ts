import type { LinkReport } from '@rtcmesh/protocol';
import { expect, test } from 'vitest';
import { LatestTelemetry } from './latest.js';

const link = (peerId: string, txPackets = 0): LinkReport => ({
  peerId,
  state: 'connected',
  path: 'direct',
  txBytes: 0,
  rxBytes: 0,
  txPackets,
  rxPackets: 0,
  drops: 0,
  since: 1,
});

test('a full report replaces the node’s links; a partial one updates and forgets', () => {
  const t = new LatestTelemetry();
  t.record('net-1', 'node-a', [link('node-b'), link('node-c')], 1);
  t.record('net-1', 'node-a', [link('node-b', 5)], 2, { partial: true, gone: ['node-c'] });
  expect(t.entries().map((e) => [e.link.peerId, e.link.txPackets, e.receivedAt])).toEqual([['node-b', 5, 2]]);
  t.record('net-1', 'node-a', [link('node-d')], 3, { partial: true });
  expect(t.entries().map((e) => e.link.peerId)).toEqual(['node-b', 'node-d']);
  // A full report: what it does not name is gone.
  t.record('net-1', 'node-a', [link('node-d')], 4);
  expect(t.entries().map((e) => e.link.peerId)).toEqual(['node-d']);
});

test('a partial report for a node the server never heard in full starts its view', () => {
  const t = new LatestTelemetry();
  t.record('net-1', 'node-a', [link('node-b')], 1, { partial: true });
  expect(t.entries().map((e) => e.link.peerId)).toEqual(['node-b']);
});
