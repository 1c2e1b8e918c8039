import { describe, expect, test } from 'vitest';
import { Backoff, backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  test('doubles from the minimum up to the maximum, drawn in [50 %, 100 %] of the nominal delay', () => {
    expect(backoffDelay(0, 1000, 30_000, () => 0)).toBe(500);
    expect(backoffDelay(0, 1000, 30_000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 1000, 30_000, () => 1)).toBe(8000);
    expect(backoffDelay(10, 1000, 30_000, () => 1)).toBe(30_000);
    expect(backoffDelay(10, 1000, 30_000, () => 0)).toBe(15_000);
    // A huge or negative attempt count stays within bounds.
    expect(backoffDelay(5000, 1000, 30_000, () => 1)).toBe(30_000);
    expect(backoffDelay(-3, 1000, 30_000, () => 1)).toBe(1000);
  });
});

describe('Backoff', () => {
  test('counts attempts until reset', () => {
    const b = new Backoff(500, 10_000, () => 1);
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([
      500, 1000, 2000, 4000, 8000, 10_000,
    ]);
    b.reset();
    expect(b.next()).toBe(500);
  });

  test('two clients that fail together spread their retries', () => {
    let seed = 1;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const delays = new Set(Array.from({ length: 50 }, () => new Backoff(500, 10_000, random).next()));
    expect(delays.size).toBeGreaterThan(10);
  });
});
