import type { PeerInfo } from '@rtcmesh/protocol';
import { expect, test } from 'vitest';
import { pagePeers, peersPageMessage } from './peer-pages.js';

function peer(i: number, bindings: number): PeerInfo {
  return {
    nodeId: `n-${String(i).padStart(12, '0')}`,
    name: `node-${i}`,
    publicKey: `${'A'.repeat(43)}=`,
    addresses: [`10.0.${i >> 8}.${i & 255}/16`],
    mac: '02:00:00:00:00:01',
    online: true,
    lastSeen: null,
    bindings: Array.from({ length: bindings }, (_, b) => ({
      mac: `02:00:00:00:${(b >> 8).toString(16).padStart(2, '0')}:${(b & 255).toString(16).padStart(2, '0')}`,
      ips: [`10.1.${b >> 8}.${b & 255}`],
      seq: 1,
    })),
    routes: [],
    tags: [],
  };
}

test('a small list stays in the welcome: one page', () => {
  const peers = [peer(1, 1), peer(2, 1)];
  expect(pagePeers(peers).map((p) => p.peers)).toEqual([peers]);
  expect(pagePeers([]).map((p) => p.peers)).toEqual([[]]);
});

test('pages keep their byte budget and their order, and lose nobody', () => {
  const peers = Array.from({ length: 50 }, (_, i) => peer(i, 40));
  const budget = 16 * 1024;
  const paged = pagePeers(peers, budget);
  const pages = paged.map((p) => p.peers);
  expect(pages.length).toBeGreaterThan(1);
  for (const page of pages) {
    expect(page.length).toBeGreaterThan(0);
    if (page.length > 1) expect(JSON.stringify(page).length).toBeLessThanOrEqual(budget + page.length);
  }
  expect(pages.flat()).toEqual(peers);
  // A page's message, built from the JSON made while paging, is the page itself.
  for (const [i, page] of paged.entries())
    expect(JSON.parse(peersPageMessage(page, i < paged.length - 1))).toEqual({
      type: 'peers',
      peers: page.peers,
      more: i < paged.length - 1,
    });
});

test('an entry larger than a page gets a page of its own', () => {
  const peers = [peer(1, 1), peer(2, 500), peer(3, 1)];
  const pages = pagePeers(peers, 2048);
  expect(pages.map((p) => p.peers.map((x) => x.name))).toEqual([['node-1'], ['node-2'], ['node-3']]);
});
