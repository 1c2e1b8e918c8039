import { describe, expect, test } from 'vitest';
import { DelayLine } from './delay-line.js';

const frame = (n: number): Buffer => Buffer.from([n]);

describe('DelayLine', () => {
  test('delivers every frame in order, no earlier than the delay', async () => {
    const got: Array<{ n: number; at: number }> = [];
    const start = performance.now();
    let done: () => void = () => undefined;
    const all = new Promise<void>((r) => {
      done = r;
    });
    const line = new DelayLine({ delayMs: 30, lossPct: 0 }, (f) => {
      got.push({ n: f[0]!, at: performance.now() - start });
      if (got.length === 50) done();
    });
    for (let i = 0; i < 50; i++) line.push(frame(i));
    await all;
    expect(got.map((g) => g.n)).toEqual([...Array(50).keys()]);
    for (const g of got) expect(g.at).toBeGreaterThanOrEqual(30);
  });

  test('drops the configured share of frames', () => {
    const got: number[] = [];
    let i = 0;
    // Deterministic "random": 0, 0.1, ..., 0.9 repeating -> 30 % loss drops 0, 0.1, 0.2.
    const line = new DelayLine(
      { delayMs: 0, lossPct: 30 },
      (f) => got.push(f[0]!),
      () => (i++ % 10) / 10,
    );
    for (let n = 0; n < 100; n++) line.push(frame(n));
    expect(got).toHaveLength(70);
    expect(line.dropped).toBe(30);
  });

  test('a zero delay passes frames straight through; set() changes the impairment', () => {
    const got: number[] = [];
    const line = new DelayLine({ delayMs: 0, lossPct: 0 }, (f) => got.push(f[0]!));
    line.push(frame(1));
    expect(got).toEqual([1]);
    line.set({ delayMs: 0, lossPct: 100 });
    line.push(frame(2));
    expect(got).toEqual([1]);
    expect(line.dropped).toBe(1);
  });
});

describe('DelayLine as a bottleneck', () => {
  test('sends at the configured rate through a bounded buffer and drops what does not fit', async () => {
    const got: number[] = [];
    // 10 Mbit/s = 1.25 MB/s: a 1250-byte frame every 1 ms; a 20 ms buffer holds ~20 frames.
    // The 100 frames arrive in one instant (the clock stands still while they are pushed: on a loaded
    // machine the loop itself can take more than a frame's 1 ms, and the buffer would drain meanwhile).
    const start = performance.now();
    let frozen: number | undefined = start;
    const line = new DelayLine(
      { delayMs: 0, lossPct: 0, rateMbit: 10, queueMs: 20 },
      (f) => got.push(f[0]!),
      Math.random,
      () => frozen ?? performance.now(),
    );
    for (let i = 0; i < 100; i++) {
      const f = Buffer.alloc(1250);
      f[0] = i;
      line.push(f);
    }
    frozen = undefined;
    expect(line.queueDropped).toBeGreaterThanOrEqual(75);
    expect(line.queueDropped).toBeLessThanOrEqual(80);
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (got.length === 100 - line.queueDropped) {
          clearInterval(t);
          resolve();
        }
      }, 5);
    });
    // The first ~21 frames went out in order, at no more than the rate.
    expect(got).toEqual([...Array(got.length).keys()]);
    expect(performance.now() - start).toBeGreaterThanOrEqual(got.length - 1.5);
  });
});
