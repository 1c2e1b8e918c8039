import { expect, test } from 'vitest';
import { KeyedRateLimiter } from './keyed-rate-limiter.js';
import { PerKeyCounter } from './per-key-counter.js';

test('a keyed bucket allows the burst, then one per 60/rate seconds, and names the wait', () => {
  let now = 0;
  const l = new KeyedRateLimiter(10, 3, 100, () => now);
  expect([l.take('a'), l.take('a'), l.take('a')]).toEqual([0, 0, 0]);
  expect(l.take('a')).toBe(6); // 10/min = one every 6 s
  expect(l.take('b')).toBe(0); // other keys are independent
  now += 6_000;
  expect(l.take('a')).toBe(0);
  expect(l.take('a')).toBeGreaterThanOrEqual(1);
});

test('the limiter forgets the least recently used key beyond its bound', () => {
  let now = 0;
  const l = new KeyedRateLimiter(1, 1, 2, () => now);
  l.take('a');
  l.take('b');
  l.take('a'); // a is now most recent
  l.take('c'); // evicts b
  expect(l.size).toBe(2);
  expect(l.take('b')).toBe(0);
  now += 1;
  expect(l.take('a')).toBe(0); // a was evicted by b, so it starts full again
});

test('a per-key counter refuses at its maximum and frees on release', () => {
  const c = new PerKeyCounter(2);
  expect(c.acquire('x')).toBe(true);
  expect(c.acquire('x')).toBe(true);
  expect(c.acquire('x')).toBe(false);
  expect(c.acquire('y')).toBe(true);
  c.release('x');
  expect(c.acquire('x')).toBe(true);
  c.release('x');
  c.release('x');
  c.release('y');
  expect(c.keys).toBe(0);
});
