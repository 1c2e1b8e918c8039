import { describe, expect, test } from 'vitest';
import { labSkipReason } from '../lab/index.js';
import { useMeshLab } from './fixture.js';
import { waitFor } from './mesh-lab.js';
import { PingRun } from './ping-run.js';

/**
 * Issue 4, test 4: the data plane does not depend on the control plane. The signaling server stops
 * in the middle of a ping run and not one ping is lost; when it is back, the agents reconnect by
 * themselves and a new node can join and reach them.
 */
const skip = await labSkipReason();
describe.skipIf(skip !== undefined)('control-plane outage', { timeout: 180_000 }, () => {
  const lab = useMeshLab({
    world: {
      sites: {
        a: { nat: 'cone', hosts: ['a1'] },
        b: { nat: 'cone', hosts: ['b1'] },
        c: { nat: 'cone', hosts: ['c1'] },
      },
    },
    network: { mode: 'l3', cidr: '10.99.0.0/24' },
    agents: ['a1', 'b1'],
  });

  test('no ping is lost while the server is down; agents reconnect and a new node joins', async () => {
    const mesh = lab();
    const a1 = mesh.agent('a1');
    const b1 = mesh.agent('b1');
    const run = PingRun.start(a1.host, await b1.address(), 60, 0.2); // 12 s
    await run.waitReplyAfter(0, 5000);
    await mesh.stopServer();
    await waitFor(
      'a1 to notice the server is gone',
      async () => ((await a1.status()).server.connected ? undefined : true),
      15_000,
    );
    await new Promise((r) => setTimeout(r, 3000)); // traffic keeps flowing with no control plane at all
    await mesh.startServer();
    for (const agent of [a1, b1]) {
      await waitFor(
        `${agent.name} to reconnect`,
        async () => ((await agent.status()).server.connected ? true : undefined),
        20_000,
      );
    }
    const result = await run.finish();
    expect(result.sent).toBe(60);
    expect(result.received, result.output).toBe(60);

    const c1 = await mesh.startAgent('c1');
    await c1.waitConnected('a1', 30_000);
    const r = await c1.ping(await a1.address(), 3);
    expect(r.received, r.output).toBeGreaterThanOrEqual(2);
  });
});
