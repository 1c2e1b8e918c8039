import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { LinkTimers } from './link-timers.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LinkTimers', () => {
  test('runs a timer once after its delay and forgets it', () => {
    const timers = new LinkTimers(() => false);
    const fn = vi.fn();
    timers.after(fn, 100);
    expect(timers.size).toBe(1);
    vi.advanceTimersByTime(99);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(timers.size).toBe(0);
  });

  test('a cancelled timer never runs', () => {
    const timers = new LinkTimers(() => false);
    const fn = vi.fn();
    const t = timers.after(fn, 100);
    timers.cancel(t);
    vi.advanceTimersByTime(200);
    expect(fn).not.toHaveBeenCalled();
    expect(timers.size).toBe(0);
  });

  test('nothing runs once the link is closed', () => {
    let closed = false;
    const timers = new LinkTimers(() => closed);
    const fn = vi.fn();
    timers.after(fn, 100);
    closed = true;
    vi.advanceTimersByTime(100);
    expect(fn).not.toHaveBeenCalled();
  });

  test('clearAll drops every waiting timer', () => {
    const timers = new LinkTimers(() => false);
    const fn = vi.fn();
    timers.after(fn, 100);
    timers.after(fn, 200);
    timers.clearAll();
    vi.advanceTimersByTime(300);
    expect(fn).not.toHaveBeenCalled();
    expect(timers.size).toBe(0);
  });
});
