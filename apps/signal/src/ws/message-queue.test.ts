import { expect, test } from 'vitest';
import { MessageQueue } from './message-queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

test('an idle queue runs a message at once; messages behind a slow one wait, in order', async () => {
  const q = new MessageQueue(8);
  const ran: string[] = [];
  q.push(() => {
    ran.push('a');
    return undefined;
  });
  expect(ran).toEqual(['a']);
  const slow = deferred();
  q.push(() => {
    ran.push('slow');
    return slow.promise;
  });
  q.push(() => {
    ran.push('b');
    return undefined;
  });
  q.push(() => {
    ran.push('c');
    return undefined;
  });
  await Promise.resolve();
  expect(ran).toEqual(['a', 'slow']);
  slow.resolve();
  await new Promise((r) => setTimeout(r, 0));
  expect(ran).toEqual(['a', 'slow', 'b', 'c']);
  // Drained: the next one runs synchronously again.
  q.push(() => {
    ran.push('d');
    return undefined;
  });
  expect(ran.at(-1)).toBe('d');
});

test('beyond maxPending messages in progress or waiting, push refuses and runs nothing', async () => {
  const q = new MessageQueue(2);
  const slow = deferred();
  let ran = 0;
  expect(q.push(() => slow.promise)).toBe(true);
  expect(
    q.push(() => {
      ran++;
      return undefined;
    }),
  ).toBe(true);
  expect(
    q.push(() => {
      ran++;
      return undefined;
    }),
  ).toBe(false);
  slow.resolve();
  await new Promise((r) => setTimeout(r, 0));
  expect(ran).toBe(1);
  expect(q.push(() => undefined)).toBe(true);
});
