import {
  generateNodeKey,
  NODE_KEY_DOMAIN,
  nodeKeyPayload,
  type PeerInfo,
  signDomain,
  signLockDisablement,
} from '@rtcmesh/protocol';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { NetworkLock, type NetworkLockStore } from './network-lock.js';

class MemoryStore implements NetworkLockStore {
  saved = new Map<string, string[]>();
  async readLockPins(networkId: string): Promise<string[]> {
    return this.saved.get(networkId) ?? [];
  }
  async writeLockPins(networkId: string, keys: string[]): Promise<void> {
    this.saved.set(networkId, keys);
  }
}

const operator = generateNodeKey();
const rogue = generateNodeKey();
const peerKey = generateNodeKey().publicKey;
const peer = (keySignature?: string): PeerInfo => ({
  nodeId: 'n-b',
  name: 'b',
  publicKey: peerKey,
  addresses: [],
  mac: '02:00:00:00:00:02',
  online: true,
  lastSeen: null,
  bindings: [],
  routes: [],
  ...(keySignature ? { keySignature } : {}),
});
const signedBy = (privateKey: string) =>
  signDomain(privateKey, NODE_KEY_DOMAIN, nodeKeyPayload('net-1', 'n-b', peerKey));

describe('NetworkLock', () => {
  it('admits everyone until the network is locked, then only operator-signed keys', async () => {
    const store = new MemoryStore();
    const lock = new NetworkLock('net-1', store, pino({ level: 'silent' }));
    await lock.load([]);
    expect(lock.admit(peer())).toBeNull();
    expect(await lock.observe([operator.publicKey])).toBe(true);
    expect(store.saved.get('net-1')).toEqual([operator.publicKey]);
    expect(lock.admit(peer())).toMatch(/not signed/);
    expect(lock.admit(peer(signedBy(rogue.privateKey)))).toMatch(/not signed/);
    expect(lock.admit(peer(signedBy(operator.privateKey)))).toBeNull();
  });

  it('keeps the pinned keys whatever the server says later (a compromised server cannot unlock)', async () => {
    const store = new MemoryStore();
    store.saved.set('net-1', [operator.publicKey]);
    const lock = new NetworkLock('net-1', store, pino({ level: 'silent' }));
    await lock.load([]);
    expect(await lock.observe(undefined)).toBe(false);
    expect(await lock.observe([rogue.publicKey])).toBe(false);
    expect(lock.keys).toEqual([operator.publicKey]);
    expect(lock.admit(peer(signedBy(rogue.privateKey)))).toMatch(/not signed/);
  });

  it('provisioned keys (--lock-key) replace the pins and are saved', async () => {
    const store = new MemoryStore();
    store.saved.set('net-1', [rogue.publicKey]);
    const lock = new NetworkLock('net-1', store, pino({ level: 'silent' }));
    await lock.load([operator.publicKey]);
    expect(store.saved.get('net-1')).toEqual([operator.publicKey]);
    expect(lock.admit(peer(signedBy(operator.privateKey)))).toBeNull();
  });

  it('an operator-signed disablement of exactly the pinned keys unpins them; anything else does not', async () => {
    const store = new MemoryStore();
    store.saved.set('net-1', [operator.publicKey]);
    const lock = new NetworkLock('net-1', store, pino({ level: 'silent' }));
    await lock.load([]);
    // Signed by a key that is not pinned, for another network, or over another key set: ignored.
    expect(
      await lock.observe(undefined, signLockDisablement(rogue.privateKey, 'net-1', [rogue.publicKey])),
    ).toBe(false);
    expect(
      await lock.observe(undefined, signLockDisablement(operator.privateKey, 'net-2', [operator.publicKey])),
    ).toBe(false);
    expect(
      await lock.observe(
        undefined,
        signLockDisablement(operator.privateKey, 'net-1', [operator.publicKey, rogue.publicKey]),
      ),
    ).toBe(false);
    const forged = {
      key: operator.publicKey,
      signature: signLockDisablement(rogue.privateKey, 'net-1', [operator.publicKey]).signature,
    };
    expect(await lock.observe(undefined, forged)).toBe(false);
    expect(lock.admit(peer())).toMatch(/not signed/);
    // The operator's own: lifted, saved, every peer admitted.
    expect(
      await lock.observe(undefined, signLockDisablement(operator.privateKey, 'net-1', [operator.publicKey])),
    ).toBe(true);
    expect(lock.keys).toEqual([]);
    expect(store.saved.get('net-1')).toEqual([]);
    expect(lock.admit(peer())).toBeNull();
    // A later lock with new keys is pinned as a first lock.
    expect(await lock.observe([rogue.publicKey])).toBe(true);
    expect(lock.keys).toEqual([rogue.publicKey]);
  });
});
