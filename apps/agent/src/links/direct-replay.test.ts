import { describe, expect, test } from 'vitest';
import { MAX_CLOCK_SKEW_MS, ReplayGuard, SEEN_KEPT } from './direct-replay.js';

describe('replay guard', () => {
  test('a timestamp further than the clock window either way is stale', () => {
    const g = new ReplayGuard();
    const now = 1_000_000_000;
    expect(g.stale(now - MAX_CLOCK_SKEW_MS, now)).toBe(false);
    expect(g.stale(now + MAX_CLOCK_SKEW_MS, now)).toBe(false);
    expect(g.stale(now - MAX_CLOCK_SKEW_MS - 1, now)).toBe(true);
    expect(g.stale(now + MAX_CLOCK_SKEW_MS + 1, now)).toBe(true);
  });

  test('a datagram is known by sender, boot and seq', () => {
    const g = new ReplayGuard();
    g.remember({ from: 'a', boot: 'b1', seq: 1 });
    expect(g.has({ from: 'a', boot: 'b1', seq: 1 })).toBe(true);
    expect(g.has({ from: 'a', boot: 'b2', seq: 1 })).toBe(false);
    expect(g.has({ from: 'a', boot: 'b1', seq: 2 })).toBe(false);
    expect(g.has({ from: 'c', boot: 'b1', seq: 1 })).toBe(false);
  });

  test('only the last SEEN_KEPT are remembered, the oldest forgotten first', () => {
    const g = new ReplayGuard();
    for (let seq = 0; seq <= SEEN_KEPT; seq++) g.remember({ from: 'a', boot: 'b', seq });
    expect(g.has({ from: 'a', boot: 'b', seq: 0 })).toBe(false);
    expect(g.has({ from: 'a', boot: 'b', seq: 1 })).toBe(true);
    expect(g.has({ from: 'a', boot: 'b', seq: SEEN_KEPT })).toBe(true);
  });
});
