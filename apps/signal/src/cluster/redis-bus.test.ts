import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, test } from 'vitest';
import { requireServices, TEST_REDIS } from '../testing/services.js';
import type { BusEnvelope, PresenceEntry } from './messages.js';
import { RedisBus } from './redis-bus.js';

const ready = await requireServices({ redis: true });
const heartbeat = { intervalMs: 100, ttlMs: 300 };
const buses: RedisBus[] = [];
afterEach(async () => {
  for (const b of buses.splice(0)) await b.close();
});

async function until(cond: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.runIf(ready)('RedisBus', () => {
  const prefix = `t-bus-${randomBytes(4).toString('hex')}`;
  const entry = (nodeId: string, instanceId: string): PresenceEntry => ({
    nodeId,
    networkId: 'net-1',
    instanceId,
    endpoint: null,
    since: 1,
  });

  async function bus(id: string): Promise<{ bus: RedisBus; got: BusEnvelope[] }> {
    const b = new RedisBus(TEST_REDIS, { instanceId: id, prefix, heartbeat });
    const got: BusEnvelope[] = [];
    await b.start({ onMessage: (e) => got.push(e), localSessions: () => [entry('n-local', id)] });
    buses.push(b);
    return { bus: b, got };
  }

  test('messages reach every other instance or the one addressed, never the sender; garbage is dropped', async () => {
    const a = await bus('i-a');
    const b = await bus('i-b');
    const c = await bus('i-c');
    a.bus.publish({ t: 'broadcast', networkId: 'net-1', except: null, raw: '{}' });
    a.bus.publish({ t: 'signal', to: 'n-1', networkId: 'net-1', raw: '{}' }, 'i-c');
    await until(() => b.got.length === 1 && c.got.length === 2);
    expect(a.got).toEqual([]);
    expect(b.got[0]).toMatchObject({ from: 'i-a', msg: { t: 'broadcast' } });
    expect(c.got.map((e) => e.msg.t)).toEqual(['broadcast', 'signal']);
    const raw = new Redis(TEST_REDIS);
    await raw.publish(`${prefix}:all`, 'not json');
    await raw.publish(`${prefix}:all`, JSON.stringify({ from: 'x', msg: { t: 'nope' } }));
    raw.disconnect();
    await until(() => b.bus.invalid === 2);
    expect(b.got).toHaveLength(1);
  });

  test('liveness and the session registry: a closed instance leaves at once; sessions are read back', async () => {
    const a = await bus('i-a');
    const b = await bus('i-b');
    a.bus.registerSession(entry('n-1', 'i-a'));
    await until(async () => (await b.bus.sessionsOf('i-a')).some((e) => e.nodeId === 'n-1'));
    expect(await b.bus.liveInstances()).toEqual(new Set(['i-a', 'i-b']));
    a.bus.unregisterSession('n-1');
    await until(async () => !(await b.bus.sessionsOf('i-a')).some((e) => e.nodeId === 'n-1'));
    // Redis loses the registry (a restart without persistence): the next heartbeat writes it again.
    const raw = new Redis(TEST_REDIS);
    await raw.del(`${prefix}:sessions:i-a`);
    raw.disconnect();
    await until(async () => (await b.bus.sessionsOf('i-a')).some((e) => e.nodeId === 'n-local'));
    await a.bus.close();
    expect(await b.bus.liveInstances()).toEqual(new Set(['i-b']));
    expect(await b.bus.sessionsOf('i-a')).toEqual([]);
  });
});
