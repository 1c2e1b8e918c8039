import { expect, test } from 'vitest';
import { normalizeBindings, normalizeRoutes } from './advertisements.js';

const own = ['10.99.0.5'];

test('subnet routes outside the network and own host routes are accepted', () => {
  expect(
    normalizeRoutes(
      [
        { prefix: '192.168.10.0/24', seq: 1 },
        { prefix: '10.99.0.5/32', seq: 1 },
        { prefix: 'fd00:1::/64', seq: 2 },
      ],
      '10.99.0.0/24',
      own,
    ),
  ).toEqual([
    { prefix: '192.168.10.0/24', seq: 1 },
    { prefix: '10.99.0.5/32', seq: 1 },
    { prefix: 'fd00:1::/64', seq: 2 },
  ]);
});

test.each([
  ['192.168.10.1/24', /host bits/],
  ['10.99.0.6/32', /overlaps the network/],
  ['10.99.0.0/25', /overlaps the network/],
  ['10.0.0.0/8', /overlaps the network/],
])('route %s is refused', (prefix, why) => {
  expect(() => normalizeRoutes([{ prefix, seq: 1 }], '10.99.0.0/24', own)).toThrow(why);
});

test('duplicates are refused', () => {
  expect(() =>
    normalizeRoutes(
      [
        { prefix: '192.168.1.0/24', seq: 1 },
        { prefix: '192.168.1.0/24', seq: 2 },
      ],
      '10.99.0.0/24',
      own,
    ),
  ).toThrow(/twice/);
  expect(() =>
    normalizeBindings([
      { mac: '02:00:00:00:00:01', ips: [], seq: 1 },
      { mac: '02:00:00:00:00:01', ips: [], seq: 2 },
    ]),
  ).toThrow(/twice/);
});
