import type { NetworkInfo } from '@rtcmesh/protocol';
import { describe, expect, test } from 'vitest';
import { advertisedRouteProblem, checkSetRequest } from './set-request.js';

const L3 = { id: 'n', name: 'lab', mode: 'l3', cidr: '10.99.0.0/24', mtu: 1280 } as NetworkInfo;
const L2 = { ...L3, mode: 'l2' } as NetworkInfo;

describe('checkSetRequest', () => {
  test('routes on an L2 network are refused with the reason', () => {
    expect(() => checkSetRequest({ acceptRoutes: true }, L2)).toThrow(
      /routes are for L3 networks; lab is L2/,
    );
    expect(() => checkSetRequest({ advertiseRoutes: ['10.1.0.0/24'] }, L2)).toThrow(/L3/);
    expect(checkSetRequest({ logLevel: 'debug' }, L2)).toEqual({ mobility: undefined });
  });

  test('every advertised prefix is judged: not a prefix, an exit route, the overlay itself', () => {
    expect(() => checkSetRequest({ advertiseRoutes: ['10.1.0.0/24', 'nope'] }, L3)).toThrow(
      /nope is not a prefix like 10.1.0.0\/24/,
    );
    expect(advertisedRouteProblem('0.0.0.0/0', L3.cidr)).toMatch(/exit route: use --advertise-exit-node/);
    expect(advertisedRouteProblem('10.99.0.0/16', L3.cidr)).toMatch(/overlaps the overlay network/);
    expect(advertisedRouteProblem('10.1.0.0/24', L3.cidr)).toBeUndefined();
  });

  test('mobility specs are parsed; "" means none; a prefix or a bridge named twice is refused', () => {
    expect(checkSetRequest({ mobility: [''] }, L3)).toEqual({ mobility: [] });
    const { mobility } = checkSetRequest({ mobility: ['br-a=10.50.0.0/24'] }, L3);
    expect(mobility?.map((m) => [m.bridge, m.prefix])).toEqual([['br-a', '10.50.0.0/24']]);
    expect(() => checkSetRequest({ mobility: ['br-a=10.50.0.0/24', 'br-a=10.51.0.0/24'] }, L3)).toThrow(
      /one prefix per bridge/,
    );
    expect(() => checkSetRequest({ mobility: ['br-a'] }, L3)).toThrow();
  });
});
