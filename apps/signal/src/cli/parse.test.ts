import { expect, test } from 'vitest';
import { parseDuration, parseListen } from './parse.js';

test('durations', () => {
  expect(parseDuration('24h')).toBe(86400);
  expect(parseDuration('90')).toBe(90);
  expect(parseDuration('7d')).toBe(604800);
  expect(() => parseDuration('soon')).toThrow(/invalid duration/);
  expect(() => parseDuration('0s')).toThrow(/positive/);
});

test('listen addresses', () => {
  expect(parseListen('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
  expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
  expect(parseListen(':9000')).toEqual({ host: '0.0.0.0', port: 9000 });
  expect(() => parseListen('localhost')).toThrow(/invalid --listen/);
});
