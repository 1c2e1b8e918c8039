import { expect, test } from 'vitest';
import { normalizeBindings, normalizeRoutes } from './advertisements.js';

const own = ['10.99.0.5', 'fd7a::5'];
const NET = { cidr: '10.99.0.0/24', cidr6: 'fd7a::/64' };

test('subnet routes outside the network and own host routes are accepted', () => {
  expect(
    normalizeRoutes(
      [
        { prefix: '192.168.10.0/24', seq: 1 },
        { prefix: '10.99.0.5/32', seq: 1 },
        { prefix: 'fd00:1::/64', seq: 2 },
      ],
      NET,
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
  expect(() => normalizeRoutes([{ prefix, seq: 1 }], NET, own)).toThrow(why);
});

// Issue 16: one member advertised these in a three-site lab and every other member installed them.
test.each([
  ['128.0.0.0/1', /shorter than \/8/],
  ['0.0.0.0/5', /shorter than \/8/],
  ['127.0.0.0/8', /overlaps 127.0.0.0\/8/],
  ['169.254.169.254/32', /overlaps 169.254.0.0\/16/],
  ['224.0.0.0/24', /overlaps 224.0.0.0\/4/],
  ['255.255.255.255/32', /overlaps 240.0.0.0\/4/],
  ['2000::/3', /shorter than \/16/],
  ['::1/128', /overlaps ::1\/128/],
  ['fe80::/64', /overlaps fe80::\/10/],
  ['ff02::/16', /overlaps ff00::\/8/],
  ['::ffff:10.1.0.0/112', /overlaps ::ffff:0:0\/96/],
  ['10.77.0.10/32', /covers 10.77.0.10/],
  ['10.77.0.0/24', /covers 10.77.0.10/],
  ['10.64.0.0/10', /covers 10.77.0.10/],
  ['2001:db8::/48', /covers 2001:db8::53/],
])('route %s, which would cut members off, is refused', (prefix, why) => {
  const servers = ['10.77.0.10', '2001:db8::53'];
  expect(() => normalizeRoutes([{ prefix, seq: 1 }], NET, own, servers)).toThrow(why);
});

test('an exit node offers 0.0.0.0/0 and ::/0 (kept pending until approved); nothing else that short', () => {
  const servers = ['10.77.0.10'];
  const exit = [
    { prefix: '0.0.0.0/0', seq: 1 },
    { prefix: '::/0', seq: 1 },
  ];
  expect(normalizeRoutes(exit, NET, own, servers)).toEqual(exit);
  expect(() => normalizeRoutes([{ prefix: '0.0.0.0/1', seq: 1 }], NET, own, servers)).toThrow(
    /shorter than \/8/,
  );
});

test('duplicates are refused', () => {
  expect(() =>
    normalizeRoutes(
      [
        { prefix: '192.168.1.0/24', seq: 1 },
        { prefix: '192.168.1.0/24', seq: 2 },
      ],
      NET,
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

test.each([
  ['fd7a::6/128', /overlaps the network fd7a::\/64; only a \/128/],
  ['fd7a::/48', /overlaps the network fd7a::\/64/],
  ['fd7a::/96', /overlaps the network/],
])('in a dual-stack network, IPv6 route %s inside the overlay is refused', (prefix, why) => {
  expect(() => normalizeRoutes([{ prefix, seq: 1 }], NET, own)).toThrow(why);
});

test("a node's own IPv6 /128 is accepted", () => {
  expect(normalizeRoutes([{ prefix: 'fd7a::5/128', seq: 1 }], NET, own)).toEqual([
    { prefix: 'fd7a::5/128', seq: 1 },
  ]);
});
