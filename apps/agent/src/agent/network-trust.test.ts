import {
  generateNodeKey,
  NODE_KEY_DOMAIN,
  nodeKeyPayload,
  type PeerInfo,
  signDomain,
} from '@rtcmesh/protocol';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import type { NetworkLockStore } from '../links/network-lock.js';
import type { SignedPolicy, SignedPolicyGate, SignedPolicyStore } from '../policy/signed-policy.js';
import { NetworkTrust, type NetworkTrustOptions } from './network-trust.js';

class MemoryStore implements NetworkLockStore, SignedPolicyStore {
  pins = new Map<string, string[]>();
  failWrites = false;
  async readLockPins(networkId: string): Promise<string[]> {
    return this.pins.get(networkId) ?? [];
  }
  async writeLockPins(networkId: string, keys: string[]): Promise<void> {
    if (this.failWrites) throw new Error('read-only file system');
    this.pins.set(networkId, keys);
  }
  async readSignedPolicy(): Promise<SignedPolicy | null> {
    return null;
  }
  async writeSignedPolicy(): Promise<void> {}
}

const operator = generateNodeKey();
const peerKey = generateNodeKey().publicKey;
const peer = (signed: boolean): PeerInfo => ({
  nodeId: 'n-b',
  name: 'b',
  publicKey: peerKey,
  addresses: [],
  mac: '02:00:00:00:00:02',
  online: true,
  lastSeen: null,
  bindings: [],
  routes: [],
  ...(signed
    ? {
        keySignature: signDomain(
          operator.privateKey,
          NODE_KEY_DOMAIN,
          nodeKeyPayload('net-1', 'n-b', peerKey),
        ),
      }
    : {}),
});

function trust(over: Partial<NetworkTrustOptions> = {}) {
  const store = new MemoryStore();
  const gates: SignedPolicyGate[] = [];
  const upserts: string[] = [];
  const errors: unknown[] = [];
  const logger = pino({ level: 'silent' });
  logger.error = ((o: unknown, msg: string) => errors.push([o, msg])) as unknown as typeof logger.error;
  const t = new NetworkTrust({
    network: { id: 'net-1' },
    keyStore: store,
    policy: { setGate: (g) => gates.push(g) },
    peers: () => ({ list: () => [{ info: peer(false) }], upsert: (p) => upserts.push(p.nodeId) }),
    logger,
    ...over,
  });
  return { t, store, gates, upserts, errors };
}

describe('NetworkTrust', () => {
  test('an unlocked network admits every peer; the policy is gated all the same', async () => {
    const { t, gates } = trust();
    await t.load();
    expect(t.admit(peer(false))).toBeNull();
    expect(gates).toHaveLength(1);
  });

  test('the server’s lock keys are pinned at load: unsigned peers are refused, signed ones admitted', async () => {
    const { t, store } = trust({ network: { id: 'net-1', lockKeys: [operator.publicKey] } });
    await t.load();
    expect(store.pins.get('net-1')).toEqual([operator.publicKey]);
    expect(t.admit(peer(false))).toMatch(/not signed by an operator lock key/);
    expect(t.admit(peer(true))).toBeNull();
  });

  test('--lock-key wins over what the server says and is saved', async () => {
    const other = generateNodeKey().publicKey;
    const { t, store } = trust({
      network: { id: 'net-1', lockKeys: [other] },
      lockKeys: [operator.publicKey],
    });
    await t.load();
    expect(store.pins.get('net-1')).toEqual([operator.publicKey]);
    expect(t.admit(peer(true))).toBeNull();
  });

  test('keys pinned later make every peer be judged again; the same keys again do not', async () => {
    const { t, upserts } = trust();
    await t.load();
    await t.observe({ lockKeys: [operator.publicKey] });
    expect(upserts).toEqual(['n-b']);
    await t.observe({ lockKeys: [operator.publicKey] });
    expect(upserts).toEqual(['n-b']);
    expect(t.admit(peer(false))).not.toBeNull();
  });

  test('pins that cannot be saved are said, not thrown', async () => {
    const h = trust();
    await h.t.load();
    h.store.failWrites = true;
    await expect(h.t.observe({ lockKeys: [operator.publicKey] })).resolves.toBeUndefined();
    expect(h.errors).toEqual([[{ err: 'read-only file system' }, 'cannot pin the network lock keys']]);
    expect(h.upserts).toEqual([]);
  });
});
