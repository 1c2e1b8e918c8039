import { expect, test } from 'vitest';
import { coveredAddress, prefixCovers, prefixesOverlap, unroutablePrefixProblem } from './routes.js';

test('overlap and cover work both ways and across families', () => {
  expect(prefixesOverlap('10.0.0.0/8', '10.1.2.0/24')).toBe(true);
  expect(prefixesOverlap('10.1.2.0/24', '10.0.0.0/8')).toBe(true);
  expect(prefixesOverlap('10.1.2.0/24', '10.1.3.0/24')).toBe(false);
  expect(prefixesOverlap('10.0.0.0/8', 'fd00::/8')).toBe(false);
  expect(prefixCovers('192.0.2.0/24', '192.0.2.9')).toBe(true);
  expect(prefixCovers('192.0.2.0/24', '::ffff:192.0.2.9')).toBe(true);
  expect(prefixCovers('192.0.2.0/24', '2001:db8::1')).toBe(false);
  expect(coveredAddress('192.0.2.0/24', ['not-an-address', '198.51.100.1', '192.0.2.1'])).toBe('192.0.2.1');
});

test('exit routes are refused unless allowed; never-routed blocks are refused always', () => {
  expect(unroutablePrefixProblem('0.0.0.0/0')).toMatch(/exit node/);
  expect(unroutablePrefixProblem('0.0.0.0/0', { allowExitRoutes: true })).toBeUndefined();
  expect(unroutablePrefixProblem('::/0', { allowExitRoutes: true })).toBeUndefined();
  expect(unroutablePrefixProblem('127.0.0.0/8', { allowExitRoutes: true })).toMatch(/never routed/);
  expect(unroutablePrefixProblem('169.0.0.0/8')).toMatch(/overlaps 169.254.0.0\/16/);
  expect(unroutablePrefixProblem('192.168.0.0/16')).toBeUndefined();
  expect(unroutablePrefixProblem('fd00:1::/64')).toBeUndefined();
  expect(unroutablePrefixProblem('bogus')).toMatch(/not a prefix/);
});
