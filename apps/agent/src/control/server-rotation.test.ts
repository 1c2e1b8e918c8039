import { Backoff } from '@rtcmesh/limits';
import { describe, expect, test } from 'vitest';
import { type Reconnect, ServerRotation } from './server-rotation.js';

/** A backoff without jitter: 100, 200, 400, … ms. */
const steadyBackoff = () => new Backoff(100, 10_000, () => 0.5);
const where = (r: ServerRotation, next: Reconnect) => `${next.kind} ${r.current}`;

describe('server rotation', () => {
  test('needs a URL', () => {
    expect(() => new ServerRotation([])).toThrow('at least one server URL is needed');
  });

  test('one URL: every failure backs off further, a session resets the backoff', () => {
    const r = new ServerRotation(['https://a'], steadyBackoff());
    const delays = [r.afterClose(false), r.afterClose(false), r.afterClose(false)].map((n) => n.delayMs);
    expect(delays[1]).toBeGreaterThan(delays[0]!);
    expect(delays[2]).toBeGreaterThan(delays[1]!);
    expect(r.current).toBe('https://a');
    r.sessionUp();
    expect(r.afterClose(false).delayMs).toBe(delays[0]);
    // With one URL there is nowhere else to go.
    expect(r.elsewhere()).toBeUndefined();
  });

  test('an unreachable URL hands over to the next at once; a full round of failures backs off', () => {
    const r = new ServerRotation(['https://a', 'https://b', 'https://c'], steadyBackoff(), () => 0.999);
    const first = r.afterClose(false);
    expect(first).toEqual({ kind: 'move', from: 'https://a', delayMs: 249 });
    expect(where(r, first)).toBe('move https://b');
    expect(where(r, r.afterClose(false))).toBe('move https://c');
    // Every URL failed in a row: the backoff, then the next round on the next URL.
    const round = r.afterClose(false);
    expect(where(r, round)).toBe('retry https://a');
    expect(where(r, r.afterClose(false))).toBe('move https://b');
  });

  test('a lost session retries the same URL after the shortest backoff', () => {
    const r = new ServerRotation(['https://a', 'https://b'], steadyBackoff());
    const shortest = steadyBackoff().next();
    r.afterClose(false);
    r.afterClose(false);
    r.afterClose(false);
    const url = r.current;
    expect(r.afterClose(true)).toEqual({ kind: 'retry', delayMs: shortest });
    expect(r.current).toBe(url);
  });

  test('reconnect-elsewhere moves to the next URL, whatever failed before', () => {
    const r = new ServerRotation(['https://a', 'https://b'], steadyBackoff(), () => 0);
    expect(r.elsewhere()).toEqual({ kind: 'move', from: 'https://a', delayMs: 0 });
    expect(r.current).toBe('https://b');
    expect(r.elsewhere()).toEqual({ kind: 'move', from: 'https://b', delayMs: 0 });
    expect(r.current).toBe('https://a');
  });

  test('a new backoff after a key change', () => {
    const r = new ServerRotation(['https://a'], steadyBackoff());
    const shortest = r.afterClose(false).delayMs;
    r.afterClose(false);
    r.resetBackoff();
    expect(r.afterClose(false).delayMs).toBe(shortest);
  });
});
