import { expect, test } from 'vitest';
import { parseIpv4Cidr } from './ipv4.js';
import { deriveMac } from './mac.js';
import { pickFreeAddress } from './pool.js';

test('parses CIDRs and rejects garbage', () => {
  expect(parseIpv4Cidr('10.99.0.7/24')).toEqual({ network: 0x0a630000, prefix: 24 });
  for (const bad of [
    '10.99.0.0',
    '10.99.0/24',
    '10.99.0.256/24',
    '10.99.0.0/33',
    '10.99.0.0/24/1',
    'a.b.c.d/8',
  ]) {
    expect(parseIpv4Cidr(bad)).toBeNull();
  }
});

test('hands out the lowest free host, skipping network and broadcast, until full', () => {
  const leased = new Set<string>();
  const got: string[] = [];
  for (;;) {
    const ip = pickFreeAddress('192.168.5.0/30', leased);
    if (ip === null) break;
    leased.add(ip);
    got.push(ip);
  }
  expect(got).toEqual(['192.168.5.1', '192.168.5.2']);
  leased.delete('192.168.5.1');
  expect(pickFreeAddress('192.168.5.0/30', leased)).toBe('192.168.5.1');
});

test('derived MACs are stable, locally administered unicast, and avoid taken ones', () => {
  const a = deriveMac('net-1', 'node-1', new Set());
  expect(a).toMatch(/^02(:[0-9a-f]{2}){5}$/);
  expect(deriveMac('net-1', 'node-1', new Set())).toBe(a);
  expect(deriveMac('net-1', 'node-1', new Set([a]))).not.toBe(a);
});
