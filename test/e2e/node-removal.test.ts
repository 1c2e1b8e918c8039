import { describe, expect, test } from 'vitest';
import { labSkipReason } from '../lab/index.js';
import { useMeshLab } from './fixture.js';
import { waitFor } from './mesh-lab.js';

/**
 * Issue 4, test 6: an admin removes a node on the server; within 5 s every peer has closed its link
 * to it, and the removed agent exits (code 78, so systemd does not restart it in a loop).
 */
const skip = await labSkipReason();
describe.skipIf(skip !== undefined)('node removal', { timeout: 180_000 }, () => {
  const lab = useMeshLab({
    world: {
      sites: {
        a: { nat: 'cone', hosts: ['a1'] },
        b: { nat: 'cone', hosts: ['b1'] },
        c: { nat: 'none', hosts: ['c1'] },
      },
    },
    network: { mode: 'l2', cidr: '10.98.0.0/24' },
    agents: ['a1', 'b1', 'c1'],
  });

  test('every peer closes its link to a removed node within 5 s', async () => {
    const mesh = lab();
    const c1 = mesh.agent('c1');
    const c1Ip = await c1.address();
    const removed = await mesh.admin(['node', 'remove', 'c1']);
    expect(removed.code, removed.stderr).toBe(0);
    const started = Date.now();
    for (const name of ['a1', 'b1']) {
      await waitFor(
        `${name} to drop c1`,
        async () => ((await mesh.agent(name).status()).peers.some((p) => p.name === 'c1') ? undefined : true),
        5000 - (Date.now() - started),
        100,
      );
    }
    const exit = await waitFor('the removed agent to exit', async () => c1.process.exitInfo, 10_000, 100);
    expect(exit.code).toBe(78);
    const r = await mesh.agent('a1').ping(c1Ip, 2);
    expect(r.received).toBe(0);
  });
});
