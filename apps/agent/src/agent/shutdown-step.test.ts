import type { Logger } from 'pino';
import { describe, expect, test } from 'vitest';
import { shutdownStep } from './shutdown-step.js';

function logger() {
  const warnings: unknown[] = [];
  return {
    warnings,
    log: { warn: (o: unknown, msg: string) => warnings.push([o, msg]) } as unknown as Logger,
  };
}

describe('shutdownStep', () => {
  test('a step that ends in time is awaited and says nothing; an absent one is skipped', async () => {
    const { log, warnings } = logger();
    let done = false;
    const step = new Promise<void>((r) => setTimeout(r, 10)).then(() => {
      done = true;
    });
    await shutdownStep(log, 'closing links', step);
    expect(done).toBe(true);
    await shutdownStep(log, 'closing the device', undefined);
    expect(warnings).toEqual([]);
  });

  test('a step that never ends is given up after its time, and said', async () => {
    const { log, warnings } = logger();
    const started = Date.now();
    await shutdownStep(log, 'closing links', new Promise(() => {}), 30);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(warnings).toEqual([[{ step: 'closing links', ms: 30 }, 'shutdown step timed out']]);
  });

  test('a step that fails is said, not thrown', async () => {
    const { log, warnings } = logger();
    await expect(
      shutdownStep(log, 'closing the local API', Promise.reject(new Error('EBUSY'))),
    ).resolves.toBeUndefined();
    expect(warnings).toEqual([[{ step: 'closing the local API', err: 'EBUSY' }, 'shutdown step failed']]);
  });
});
