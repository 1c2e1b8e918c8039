import { expect, test } from 'vitest';
import { ClientAddressResolver, normalizeAddress } from './client-address.js';

test('without trusted proxies the TCP peer is the client and X-Forwarded-For is ignored', () => {
  const r = new ClientAddressResolver();
  expect(r.resolve('203.0.113.9', '198.51.100.1')).toBe('203.0.113.9');
  expect(r.resolve('::ffff:127.0.0.1', undefined)).toBe('127.0.0.1');
  expect(r.resolve(undefined, '198.51.100.1')).toBeNull();
});

test('a trusted proxy is believed; a spoofed left part of the header is not', () => {
  const r = new ClientAddressResolver(['127.0.0.1', '10.0.0.0/8']);
  expect(r.resolve('127.0.0.1', '198.51.100.7')).toBe('198.51.100.7');
  // The client wrote "6.6.6.6" itself; nginx appended the address it saw.
  expect(r.resolve('127.0.0.1', '6.6.6.6, 198.51.100.7')).toBe('198.51.100.7');
  // Two trusted proxies in a row are skipped.
  expect(r.resolve('::ffff:10.1.2.3', '198.51.100.7, 10.9.9.9')).toBe('198.51.100.7');
  expect(r.resolve('127.0.0.1', ['198.51.100.7', '10.0.0.2'])).toBe('198.51.100.7');
  // The header from an untrusted peer is ignored.
  expect(r.resolve('203.0.113.9', '198.51.100.7')).toBe('203.0.113.9');
  // Garbage or a header of only proxies: the proxy itself.
  expect(r.resolve('127.0.0.1', 'not-an-ip')).toBe('127.0.0.1');
  expect(r.resolve('127.0.0.1', '10.0.0.1')).toBe('127.0.0.1');
  expect(r.resolve('127.0.0.1', '')).toBe('127.0.0.1');
});

test('an IPv4-mapped CIDR matches the plain IPv4 range', () => {
  const r = new ClientAddressResolver(['::ffff:10.0.0.0/104']);
  expect(r.isTrustedProxy('10.1.2.3')).toBe(true);
  expect(r.isTrustedProxy('::ffff:10.1.2.3')).toBe(true);
  expect(r.isTrustedProxy('11.0.0.1')).toBe(false);
});

test('IPv6 proxies and clients', () => {
  const r = new ClientAddressResolver(['::1', 'fd00::/8']);
  expect(r.resolve('::1', '2001:db8::5')).toBe('2001:db8::5');
  expect(r.resolve('fd12::1', '2001:db8::5, fd00::9')).toBe('2001:db8::5');
  expect(normalizeAddress('2001:DB8:0::5')).toBe('2001:db8::5');
});

test('a bad --trust-proxy entry is a startup error naming it', () => {
  expect(() => new ClientAddressResolver(['10.0.0.0/99'])).toThrow(/10\.0\.0\.0\/99/);
  expect(() => new ClientAddressResolver(['proxy.local'])).toThrow(/not an IP address or CIDR/);
});
