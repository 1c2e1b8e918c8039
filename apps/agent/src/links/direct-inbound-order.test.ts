import type { SignalData } from '@rtcmesh/protocol';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { InboundOrder } from './direct-inbound-order.js';

/** An InboundOrder on fake timers (its gap timers are advanced by hand). */
function order() {
  vi.useFakeTimers();
  const got: string[] = [];
  const drops: string[] = [];
  const o = new InboundOrder({
    deliver: (from, data) => got.push(`${from}:${data.gen}`),
    drop: (reason) => drops.push(reason),
  });
  return { o, got, drops };
}

const sig = (n: number): SignalData => ({ kind: 'bye', gen: `g${n}` });
const at = (n: number, first = 0) => ({ n, first });

afterEach(() => {
  vi.useRealTimers();
});

describe('inbound order', () => {
  test('signals arriving out of order are delivered in the order they were sent', () => {
    const { o, got } = order();
    o.accept('a', 'b1', at(2), sig(2));
    o.accept('a', 'b1', at(1), sig(1));
    expect(got).toEqual([]);
    o.accept('a', 'b1', at(0), sig(0));
    expect(got).toEqual(['a:g0', 'a:g1', 'a:g2']);
  });

  test('a gap is waited for 4 s, then skipped; its straggler is not delivered', () => {
    const { o, got, drops } = order();
    o.accept('a', 'b1', at(1), sig(1));
    vi.advanceTimersByTime(3999);
    expect(got).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(got).toEqual(['a:g1']);
    expect(drops).toEqual(['gap-skipped']);
    o.accept('a', 'b1', at(0), sig(0));
    expect(got).toEqual(['a:g1']);
  });

  test('a gap filled in time is not skipped', () => {
    const { o, got, drops } = order();
    o.accept('a', 'b1', at(1), sig(1));
    vi.advanceTimersByTime(2000);
    o.accept('a', 'b1', at(0), sig(0));
    vi.advanceTimersByTime(10_000);
    expect(got).toEqual(['a:g0', 'a:g1']);
    expect(drops).toEqual([]);
  });

  test('a signal not to deliver takes its turn without being delivered', () => {
    const { o, got } = order();
    o.accept('a', 'b1', at(1), sig(1));
    o.accept('a', 'b1', at(0), null);
    expect(got).toEqual(['a:g1']);
  });

  test('a sender first heard from starts at `first`; a new boot starts over', () => {
    const { o, got } = order();
    o.accept('a', 'b1', at(5, 5), sig(5));
    o.accept('a', 'b1', at(6, 5), sig(6));
    o.accept('a', 'b2', at(0, 0), sig(0));
    o.accept('b', 'b1', at(3, 3), sig(3));
    expect(got).toEqual(['a:g5', 'a:g6', 'a:g0', 'b:g3']);
  });

  test('more than 64 held behind a gap skip it at once', () => {
    const { o, got, drops } = order();
    for (let n = 1; n <= 64; n++) o.accept('a', 'b1', at(n), sig(n));
    expect(got).toEqual([]);
    o.accept('a', 'b1', at(65), sig(65));
    expect(drops).toEqual(['gap-skipped']);
    expect(got).toHaveLength(65);
    expect(got[0]).toBe('a:g1');
  });

  test('a forgotten or closed peer holds nothing and fires no timer', () => {
    const { o, got, drops } = order();
    o.accept('a', 'b1', at(2), sig(2));
    o.forget('a');
    o.accept('a', 'b1', at(1, 1), sig(1));
    expect(got).toEqual(['a:g1']);
    o.accept('b', 'b1', at(1), sig(1));
    o.close();
    vi.advanceTimersByTime(10_000);
    expect(got).toEqual(['a:g1']);
    expect(drops).toEqual([]);
  });
});
