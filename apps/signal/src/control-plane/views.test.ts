import { describe, expect, test } from 'vitest';
import type { JoinKeyRow } from '../store/join-keys.js';
import type { NetworkRow } from '../store/networks.js';
import type { NodeRow } from '../store/nodes.js';
import { addressesOf, keyInfo, networkInfo } from './views.js';

/** What agents see of the network; the stored row adds its creation time. */
const info = { id: 'net-1', name: 'lab', mode: 'l3', cidr: '10.99.0.0/24', cidr6: 'fd7a::/64', mtu: 1280 };
const net = { ...info, createdAt: 0 } as NetworkRow;

describe('views', () => {
  test('a node shows its IPv4 lease and, in a dual-stack network, the IPv6 address with its host number', () => {
    expect(addressesOf({ addresses: ['10.99.0.5'] } as NodeRow, net)).toEqual(['10.99.0.5/24', 'fd7a::5/64']);
    const { cidr6: _, ...v4only } = net;
    expect(addressesOf({ addresses: ['10.99.0.5'] } as NodeRow, v4only as NetworkRow)).toEqual([
      '10.99.0.5/24',
    ]);
  });

  test('a network as agents see it: no creation time, optional parts only when set', () => {
    expect(networkInfo(net)).toEqual(info);
  });

  test('a join key is valid until revoked, expired, or (single-use) used', () => {
    const key = {
      id: 'k',
      networkId: 'net-1',
      reusable: false,
      description: null,
      createdAt: 0,
      expiresAt: null,
      revokedAt: null,
      uses: 0,
    } as unknown as JoinKeyRow;
    expect(keyInfo(key).valid).toBe(true);
    expect(keyInfo({ ...key, uses: 1 }).valid).toBe(false);
    expect(keyInfo({ ...key, reusable: true, uses: 9 }).valid).toBe(true);
    expect(keyInfo({ ...key, revokedAt: 1 }).valid).toBe(false);
    expect(keyInfo({ ...key, expiresAt: Date.now() - 1 }).valid).toBe(false);
    expect(keyInfo(key)).not.toHaveProperty('secretHash');
  });
});
