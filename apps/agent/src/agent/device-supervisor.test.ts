import type { NetDevice } from '@rtcmesh/netdev';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { DeviceSupervisor } from './device-supervisor.js';

/** A device that is a plain object; `fail` plays a read error (the TUN deleted under us). */
class FakeDevice {
  closed = false;
  private errorHandler: ((e: Error) => void) | undefined;
  constructor(readonly name: string) {}
  onFrames(): void {}
  onError(h: (e: Error) => void): void {
    this.errorHandler = h;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  fail(): void {
    this.errorHandler?.(new Error('read on tun rtm0 failed: EBADFD'));
  }
}

function supervisor(opts: { openFails?: (n: number) => boolean; ifindex?: () => number | null } = {}) {
  const opened: FakeDevice[] = [];
  const events: string[] = [];
  let n = 0;
  const s = new DeviceSupervisor({
    name: 'rtm0',
    open: async () => {
      n++;
      if (opts.openFails?.(n)) throw new Error('TUNSETIFF: Device or resource busy');
      const d = new FakeDevice('rtm0');
      opened.push(d);
      return d as unknown as NetDevice;
    },
    onFrames: () => {},
    onReopened: () => events.push('reopened'),
    onFailed: (e) => events.push(`failed: ${e.message}`),
    logger: pino({ level: 'silent' }),
    retryDelaysMs: [5, 5, 5],
    checkIntervalMs: 10,
    ifindex: async () => (opts.ifindex ? opts.ifindex() : 7),
  });
  return { s, opened, events };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('DeviceSupervisor', () => {
  test('a read error re-opens the device; status is degraded meanwhile, ok after', async () => {
    const { s, opened, events } = supervisor();
    await s.start();
    opened[0]!.fail();
    expect(s.health.state).toBe('recovering');
    await until(() => events.includes('reopened'), 'the re-open');
    expect(opened).toHaveLength(2);
    expect(opened[0]!.closed).toBe(true);
    expect(s.device).toBe(opened[1]);
    expect(s.health).toEqual({ state: 'ok', reopens: 1 });
    await s.close();
  });

  test('a device that cannot be opened again stops the agent with why', async () => {
    const { s, opened, events } = supervisor({ openFails: (n) => n > 1 });
    await s.start();
    opened[0]!.fail();
    await until(() => events.some((e) => e.startsWith('failed')), 'the give-up');
    expect(events).toEqual([
      'failed: the device rtm0 failed (read error: read on tun rtm0 failed: EBADFD) and could not be opened again: TUNSETIFF: Device or resource busy',
    ]);
    expect(s.health.state).toBe('failed');
    await s.close();
  });

  test('an interface that vanished or was replaced is noticed without a read error', async () => {
    let index: number | null = 7;
    const { s, events } = supervisor({ ifindex: () => index });
    await s.start();
    index = null; // `ip link del rtm0`
    await until(() => s.health.state !== 'ok', 'the check');
    index = 9; // the re-open made a new one
    await until(() => events.includes('reopened'), 'the re-open');
    // Another interface took the name: recover again.
    index = 12;
    await until(() => s.health.reopens === 2 || s.health.state !== 'ok', 'the second check');
    await s.close();
  });
});
