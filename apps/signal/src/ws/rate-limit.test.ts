import { expect, test } from 'vitest';
import { MessageRate } from './rate-limit.js';

test('the message rate passes a burst, then the sustained rate, and flags floods', () => {
  let now = 0;
  const b = new MessageRate(10, 5, () => now);
  const passed = Array.from({ length: 8 }, () => b.take()).filter(Boolean).length;
  expect(passed).toBe(5);
  now += 500; // half a second refills 5 tokens
  expect(Array.from({ length: 8 }, () => b.take()).filter(Boolean).length).toBe(5);
  expect(b.flooding).toBe(false);
  for (let i = 0; i < 60; i++) b.take();
  expect(b.flooding).toBe(true);
  now += 2000;
  expect(b.take()).toBe(true);
  expect(b.flooding).toBe(false);
});
