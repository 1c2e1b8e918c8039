import { describe, expect, test } from 'vitest';
import { labSkipReason } from '../lab/index.js';
import { useMeshLab } from './fixture.js';
import { waitFor } from './mesh-lab.js';

/**
 * Issue 17, test 4: the TUN is deleted under a running agent. It re-opens it (addresses and peer routes
 * back, traffic flows again) — or, when it cannot (another interface took the name), it exits non-zero
 * and says why. It never keeps running with nothing reading the device.
 */
const skip = await labSkipReason();
describe.skipIf(skip !== undefined)('a device that fails under the agent', { timeout: 180_000 }, () => {
  const lab = useMeshLab({
    world: {
      sites: {
        a: { nat: 'cone', hosts: ['a1'] },
        b: { nat: 'cone', hosts: ['b1'] },
      },
    },
    network: { mode: 'l3', cidr: '10.99.0.0/24' },
    agents: ['a1', 'b1'],
  });

  test('the TUN deleted: the agent re-opens it and traffic flows again', async () => {
    const mesh = lab();
    const a1 = mesh.agent('a1');
    const b1Address = await mesh.agent('b1').address();
    expect((await a1.ping(b1Address, 2)).received).toBeGreaterThanOrEqual(1);
    const deletedAt = Date.now();
    const del = await a1.host.exec('ip', ['link', 'del', 'rtm0']);
    expect(del.code, del.stderr).toBe(0);
    const backAt = await waitFor(
      'a1 to ping b1 through a re-opened device',
      async () => ((await a1.ping(b1Address, 1, 1)).received === 1 ? Date.now() : undefined),
      20_000,
      0,
    );
    console.log(`figure: TUN deleted to the first ping through the re-opened one: ${backAt - deletedAt} ms`);
    const status = await a1.status();
    expect(status.health?.problems.filter((p) => p.includes('device'))).toEqual([]);
    expect(status.device?.name).toBe('rtm0');
    expect(a1.process.exitInfo).toBeUndefined();
  });

  test('the TUN replaced by another interface: the agent exits non-zero and says why', async () => {
    const mesh = lab();
    const a1 = mesh.agent('a1');
    // Delete it and take its name at once (a bridge): TUNSETIFF cannot create a TUN named so.
    const r = await a1.host.exec('bash', ['-c', 'ip link del rtm0 && ip link add rtm0 type bridge']);
    expect(r.code, r.stderr).toBe(0);
    const exit = await Promise.race([
      a1.process.exited,
      new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 30_000)),
    ]);
    expect(exit).not.toBe('running');
    expect(exit).toMatchObject({ code: 1 });
    expect(a1.process.output()).toMatch(/the device rtm0 failed .* could not be opened again/);
    await a1.host.exec('ip', ['link', 'del', 'rtm0']);
  });
});
