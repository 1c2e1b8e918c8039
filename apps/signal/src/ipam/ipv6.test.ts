import { describe, expect, test } from 'vitest';
import { parseIpv4Cidr } from './ipv4.js';
import { canonicalIpv6Prefix, ipv6PrefixProblem, newUlaPrefix, overlayIpv6 } from './ipv6.js';

const V4 = parseIpv4Cidr('10.99.0.0/24')!;

describe('dual-stack addressing', () => {
  test('a new network gets a unique local /64 with a random global ID', () => {
    expect(newUlaPrefix(() => Buffer.from([0x7a, 0x11, 0x5c, 0xa1, 0xe0]))).toBe('fd7a:115c:a1e0:0::/64');
    expect(canonicalIpv6Prefix(newUlaPrefix(() => Buffer.from([0, 0, 0, 0, 1])))).toBe('fd00:0:1::/64');
    expect(newUlaPrefix()).not.toBe(newUlaPrefix());
    expect(ipv6PrefixProblem(newUlaPrefix(), V4)).toBeUndefined();
  });

  test("a node's IPv6 address carries the host number of its IPv4 lease", () => {
    expect(overlayIpv6('10.99.0.5', V4, 'fd7a:115c:a1e0::/64')).toBe('fd7a:115c:a1e0::5');
    const big = parseIpv4Cidr('10.64.0.0/10')!;
    expect(overlayIpv6('10.65.2.3', big, 'fd00:1::/64')).toBe('fd00:1::1:203');
    expect(overlayIpv6('nope', V4, 'fd00::/64')).toBeUndefined();
  });

  test('a prefix must be unicast, canonical once stored, and have room for every IPv4 host', () => {
    expect(ipv6PrefixProblem('2600:1f18:1::/48', V4)).toBeUndefined();
    expect(ipv6PrefixProblem('2001:db8:1::/48', V4)).toMatch(/reserved/);
    expect(ipv6PrefixProblem('fe80::/64', V4)).toMatch(/linkLocal/);
    expect(ipv6PrefixProblem('ff02::/64', V4)).toMatch(/multicast/);
    expect(ipv6PrefixProblem('10.0.0.0/8', V4)).toMatch(/not an IPv6 prefix/);
    expect(ipv6PrefixProblem('garbage', V4)).toMatch(/not an IPv6 prefix/);
    expect(ipv6PrefixProblem('fd00::/124', V4)).toMatch(/between \/16 and \/120/);
    expect(ipv6PrefixProblem('fd00::/120', parseIpv4Cidr('10.0.0.0/16')!)).toMatch(
      /8 host bits, fewer than the 16/,
    );
    expect(canonicalIpv6Prefix('FD7A:0:0:0::1/64')).toBe('fd7a::/64');
  });
});
