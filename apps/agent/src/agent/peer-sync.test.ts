import type { PeerInfo } from '@rtcmesh/protocol';
import { describe, expect, test } from 'vitest';
import { type PeerObservers, type PeerSet, PeerSync } from './peer-sync.js';

function peer(id: string, over: Partial<PeerInfo> = {}): PeerInfo {
  return { nodeId: id, name: id, online: true, routes: [], addresses: [], ...over } as unknown as PeerInfo;
}

/** A peer set like the mesh's (links are "connected" for the ids in `up`), and observers that log calls. */
function setup() {
  const calls: string[] = [];
  const peers = new Map<string, PeerInfo>();
  const up = new Set<string>();
  const set: PeerSet = {
    sync(list) {
      const removed = [...peers.keys()].filter((id) => !list.some((p) => p.nodeId === id));
      for (const id of removed) peers.delete(id);
      for (const p of list) if (p.nodeId !== 'self') peers.set(p.nodeId, p);
      calls.push(`set.sync:${removed.join(',')}`);
      return { removed };
    },
    upsert(p) {
      peers.set(p.nodeId, p);
      calls.push(`set.upsert:${p.nodeId}`);
    },
    remove(id) {
      peers.delete(id);
      calls.push(`set.remove:${id}`);
    },
    markOffline(id) {
      calls.push(`set.offline:${id}`);
    },
    list: () =>
      [...peers.values()].map((info) => ({
        info,
        link: { currentState: up.has(info.nodeId) ? 'connected' : 'connecting' },
      })),
    get: (id) => {
      const info = peers.get(id);
      return info ? { info, link: { currentState: up.has(id) ? 'connected' : 'connecting' } } : undefined;
    },
  };
  const observers: PeerObservers = {
    direct: {
      notePeer: (p) => calls.push(`direct.note:${p.nodeId}`),
      forget: (id) => calls.push(`direct.forget:${id}`),
    },
    forwarder: {
      updatePeer: (p, linkUp) =>
        calls.push(`fwd.update:${p.nodeId}:${linkUp ? 'up' : 'down'}:${p.routes.length}`),
      removePeer: (id) => calls.push(`fwd.remove:${id}`),
    },
    // This node accepts no routes: the forwarder sees peers without them.
    routes: {
      forwardable: (p) => ({ ...p, routes: [] }),
      syncKernel: (ps) => calls.push(`kernel:${ps().length}`),
    },
    mobility: { peersChanged: (ps) => calls.push(`mobility:${ps.length}`) },
    presence: (p) => calls.push(`presence:${p.nodeId}`),
  };
  let attached = true;
  const sync = new PeerSync(
    () => set,
    () => (attached ? observers : {}),
  );
  return { sync, calls, up, detach: () => (attached = false) };
}

describe('PeerSync', () => {
  test('a welcome replaces the set: the gone peer is forgotten by the forwarder before the others update', () => {
    const { sync, calls, up } = setup();
    sync.replaceAll([peer('a'), peer('b')], 'self');
    calls.length = 0;
    up.add('b');
    sync.replaceAll([peer('self'), peer('b', { routes: [{ prefix: '10.1.0.0/24', seq: 1 }] })], 'self');
    expect(calls).toEqual([
      'set.sync:a',
      'fwd.remove:a',
      'fwd.update:b:up:0',
      'direct.forget:a',
      'direct.note:self',
      'direct.note:b',
      'mobility:1',
      'kernel:1',
    ]);
  });

  test('a peer update: presence first, then the set, direct signaling, the forwarder (link state, accepted routes), the kernel', () => {
    const { sync, calls } = setup();
    sync.upsert(peer('a', { routes: [{ prefix: '10.1.0.0/24', seq: 1 }] }));
    expect(calls).toEqual([
      'presence:a',
      'set.upsert:a',
      'direct.note:a',
      'fwd.update:a:down:0',
      'mobility:1',
      'kernel:1',
    ]);
  });

  test('a removed peer is forgotten everywhere and its kernel routes go', () => {
    const { sync, calls } = setup();
    sync.upsert(peer('a'));
    calls.length = 0;
    sync.remove('a', 'removed by an admin');
    expect(calls).toEqual(['set.remove:a', 'direct.forget:a', 'fwd.remove:a', 'mobility:0', 'kernel:0']);
  });

  test('before the device is open only the set changes; forwardAll() catches the forwarder up', () => {
    const { sync, calls, detach } = setup();
    detach();
    sync.upsert(peer('a'));
    expect(calls).toEqual(['set.upsert:a']);
  });

  test('refresh: every peer into the forwarder again, then the kernel', () => {
    const { sync, calls, up } = setup();
    sync.replaceAll([peer('a'), peer('b')], 'self');
    calls.length = 0;
    up.add('a');
    sync.refresh();
    expect(calls).toEqual(['fwd.update:a:up:0', 'fwd.update:b:down:0', 'mobility:2', 'kernel:2']);
  });
});
