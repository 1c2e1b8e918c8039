import { describe, expect, test } from 'vitest';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  test('passes a burst, then the sustained rate, refilled from the caller’s clock', () => {
    const b = new TokenBucket({ pps: 10, burst: 5 }, 0);
    expect(Array.from({ length: 8 }, () => b.take(0)).filter(Boolean)).toHaveLength(5);
    // Half a second refills 5 tokens, never more than the burst.
    expect(Array.from({ length: 8 }, () => b.take(500)).filter(Boolean)).toHaveLength(5);
    expect(Array.from({ length: 8 }, () => b.take(60_000)).filter(Boolean)).toHaveLength(5);
  });

  test('a clock that goes back refills nothing', () => {
    const b = new TokenBucket({ pps: 1000, burst: 1 }, 1000);
    expect(b.take(1000)).toBe(true);
    expect(b.take(500)).toBe(false);
  });

  test('refuses a limit that could never pass anything', () => {
    expect(() => new TokenBucket({ pps: 0, burst: 5 })).toThrow(/pps > 0/);
    expect(() => new TokenBucket({ pps: 5, burst: 0.5 })).toThrow(/burst >= 1/);
  });
});
