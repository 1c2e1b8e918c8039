import { expect, test } from 'vitest';
import { dnsLabel, dnsSuffixProblem } from './dns-names.js';

test.each([
  ['web-1', 'web-1'],
  ['Web_01', 'web-01'],
  ['db.eu.example', 'db-eu-example'],
  ['-x-', 'x'],
  ['_', 'node'],
  ['a'.repeat(70), 'a'.repeat(63)],
  [`${'a'.repeat(62)}-b`, 'a'.repeat(62)],
])('%s is the DNS label %s', (name, label) => {
  expect(dnsLabel(name)).toBe(label);
  expect(label).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
});

test('DNS suffixes', () => {
  expect(dnsSuffixProblem('rtcmesh.internal')).toBeUndefined();
  expect(dnsSuffixProblem('corp.example')).toBeUndefined();
  expect(dnsSuffixProblem('Corp.example')).toMatch(/not a DNS label/);
  expect(dnsSuffixProblem('a..b')).toMatch(/not a DNS label/);
  expect(dnsSuffixProblem('')).toMatch(/1 to 200/);
});
