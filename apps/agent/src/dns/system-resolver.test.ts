import pino from 'pino';
import { expect, test } from 'vitest';
import { SystemResolver } from './system-resolver.js';

const log = pino({ level: 'silent' });

test('with systemd-resolved: per-link DNS for the zone only, reverted on stop', async () => {
  const calls: string[] = [];
  const r = new SystemResolver('rtm0', log, async (args) => {
    calls.push(args.join(' '));
  });
  await r.register('10.99.0.1', 'lab.rtcmesh.internal');
  expect(r.registration).toBe('systemd-resolved');
  await r.unregister();
  expect(calls).toEqual(['dns rtm0 10.99.0.1', 'domain rtm0 ~lab.rtcmesh.internal', 'revert rtm0']);
});

test('without it: nothing changed, and the reason is kept for rtcmesh status', async () => {
  const r = new SystemResolver('rtm0', log, async () => {
    throw Object.assign(new Error('spawn resolvectl ENOENT'), { code: 'ENOENT' });
  });
  await r.register('10.99.0.1', 'lab.rtcmesh.internal');
  expect(r.registration).toBe('none');
  expect(r.reason).toMatch(/no systemd-resolved/);
  await r.unregister(); // nothing to revert, no call
});
