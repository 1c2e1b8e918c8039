import { describe, expect, test } from 'vitest';
import type { Cluster } from '../cluster/cluster.js';
import type { NetworkRow } from '../store/networks.js';
import type { NodeRow } from '../store/nodes.js';
import { nodeSummaryIn, peerInfo, selfInfo } from './node-views.js';

const net = {
  id: 'net-1',
  name: 'lab',
  mode: 'l3',
  cidr: '10.99.0.0/24',
  mtu: 1280,
  createdAt: 0,
} as NetworkRow;
const node = {
  id: 'n-1',
  networkId: 'net-1',
  name: 'gw',
  publicKey: 'pk',
  mac: '02:00:00:00:00:01',
  agentVersion: null,
  lastSeen: 1000,
  bindings: [],
  routes: [
    { prefix: '192.168.1.0/24', seq: 1 },
    { prefix: '192.168.2.0/24', seq: 1 },
  ],
  routeDecisions: { '192.168.1.0/24': 'approved' },
  addresses: ['10.99.0.5'],
  keySignature: null,
  tags: [],
} as unknown as NodeRow;

/** A presence directory that knows `online` (with its endpoint) and nobody else. */
function directory(online: string[]): Pick<Cluster, 'entry'> {
  return {
    entry: (nodeId) =>
      online.includes(nodeId)
        ? { nodeId, networkId: 'net-1', instanceId: 'i-1', endpoint: '198.51.100.7:4000', since: 1 }
        : undefined,
  };
}

describe('node views', () => {
  test('peers see presence from the directory: offline with the stored last-seen, online with its endpoint', () => {
    const offline = peerInfo(directory([]), node, net);
    expect(offline).toMatchObject({ online: false, lastSeen: 1000, addresses: ['10.99.0.5/24'] });
    expect(offline).not.toHaveProperty('endpoint');
    const online = peerInfo(directory(['n-1']), node, net);
    expect(online).toMatchObject({ online: true, endpoint: '198.51.100.7:4000' });
    expect(online.lastSeen).toBeGreaterThan(1000);
  });

  test('peers get only the approved routes, admins every advertised one', () => {
    expect(peerInfo(directory([]), node, net).routes.map((r) => r.prefix)).toEqual(['192.168.1.0/24']);
    expect(nodeSummaryIn(directory([]), node, net).routes.map((r) => r.prefix)).toEqual([
      '192.168.1.0/24',
      '192.168.2.0/24',
    ]);
  });

  test('admins see whether the key is signed only in a locked network; a node sees no tags it has not', () => {
    expect(nodeSummaryIn(directory([]), node, net)).not.toHaveProperty('keySigned');
    const locked = { ...net, lockKeys: ['lk'] } as NetworkRow;
    expect(nodeSummaryIn(directory([]), node, locked).keySigned).toBe(false);
    expect(selfInfo(node, net)).toEqual({
      nodeId: 'n-1',
      name: 'gw',
      addresses: ['10.99.0.5/24'],
      mac: '02:00:00:00:00:01',
    });
  });
});
