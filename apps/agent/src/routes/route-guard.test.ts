import { expect, test } from 'vitest';
import { RouteGuard } from './route-guard.js';

const facts = {
  addresses: ['192.0.2.10', '2001:db8:1::10'],
  connected: ['192.0.2.0/24', '2001:db8:1::/64'],
  gateways: ['192.0.2.1'],
  servers: ['198.51.100.7', '203.0.113.9'],
};

test('with --accept-routes, a sound subnet route is taken; the network’s own host routes always are', () => {
  const guard = new RouteGuard({ acceptRoutes: true, networkCidr: '10.99.0.0/24' }, facts);
  expect(guard.judge('172.16.5.0/24')).toEqual({ ok: true });
  expect(guard.judge('fd00:5::/64')).toEqual({ ok: true });
  expect(guard.judge('10.99.0.7/32')).toEqual({ ok: true });
  const off = new RouteGuard({ acceptRoutes: false, networkCidr: '10.99.0.0/24' }, facts);
  expect(off.judge('10.99.0.7/32')).toEqual({ ok: true });
  expect(off.judge('172.16.5.0/24')).toMatchObject({ ok: false, kind: 'not-accepted' });
});

// Whatever the server says: a compromised server or a hostile member must not cut this host off.
test.each([
  ['128.0.0.0/1', /shorter than/],
  ['127.0.0.0/8', /never routed/],
  ['10.0.0.0/8', /contains the overlay network/],
  ['198.51.100.0/24', /198.51.100.7, the signaling or TURN server/],
  ['203.0.113.9/32', /203.0.113.9, the signaling or TURN server/],
  ['192.0.2.1/32', /192.0.2.1, the default gateway/],
  ['192.0.2.0/25', /192.0.2.1, the default gateway/],
  ['192.0.2.128/25', /192.0.2.128\/25|192.0.2.0\/24, a network this host is attached to/],
  ['192.0.0.0/16', /covers 192.0.2.1/],
  ['2001:db8:1::/48', /2001:db8:1::10, an address of this host/],
])('%s is refused as unsafe even with --accept-routes', (prefix, why) => {
  const guard = new RouteGuard({ acceptRoutes: true, networkCidr: '10.99.0.0/24' }, facts);
  const v = guard.judge(prefix);
  expect(v).toMatchObject({ ok: false, kind: 'unsafe' });
  if (!v.ok) expect(v.reason).toMatch(why);
});

test('--mobility: the shared prefix and its workloads’ /32s are taken without --accept-routes; our own addresses never', () => {
  const guard = new RouteGuard(
    { acceptRoutes: false, networkCidr: '10.99.0.0/24', mobilityPrefixes: ['10.50.0.0/24'] },
    {
      ...facts,
      addresses: [...facts.addresses, '10.50.0.1'],
      connected: [...facts.connected, '10.50.0.0/24'],
    },
  );
  expect(guard.judge('10.50.0.0/24')).toEqual({ ok: true });
  expect(guard.judge('10.50.0.5/32')).toEqual({ ok: true });
  expect(guard.judge('10.50.0.1/32')).toMatchObject({
    ok: false,
    kind: 'unsafe',
    reason: /an address of this host/,
  });
  expect(guard.judge('10.50.0.0/25')).toMatchObject({ ok: false, kind: 'not-accepted' });
  expect(guard.judge('10.51.0.5/32')).toMatchObject({ ok: false, kind: 'not-accepted' });
});
