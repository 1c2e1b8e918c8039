import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { type LabHost, labSkipReason } from '../lab/index.js';
import { useMeshLab } from './fixture.js';
import { waitFor } from './mesh-lab.js';
import { PingRun } from './ping-run.js';

const run = promisify(execFile);
const VM_MAC = '02:00:00:00:aa:01';
const VM_IP = '10.98.0.200';

/**
 * Issue 4, test 3: MAC mobility on a stretched segment. A "VM" (its own namespace with a fixed MAC and
 * IP) sits on a bridge at site A, next to the agent's TAP. It is moved to site B's bridge, announces
 * itself with a gratuitous ARP as hypervisors do after a migration, and traffic from site C follows it
 * within 1 s.
 */
const skip = await labSkipReason();
describe.skipIf(skip !== undefined)('MAC mobility across sites', { timeout: 180_000 }, () => {
  const vmNs = `rtm-vm-${process.pid}-${randomBytes(2).toString('hex')}`;
  const lab = useMeshLab({
    world: {
      sites: {
        a: { nat: 'cone', hosts: ['a1'] },
        b: { nat: 'cone', hosts: ['b1'] },
        c: { nat: 'cone', hosts: ['c1'] },
      },
    },
    network: { mode: 'l2', cidr: '10.98.0.0/24' },
    // Sites A and B bridge their TAP into a local bridge (pure bridging: no overlay address on the host).
    prepare: async (mesh) => {
      await run('ip', ['netns', 'add', vmNs]);
      for (const h of ['a1', 'b1']) {
        const ns = mesh.world.host(h).ns;
        await run('ip', ['-n', ns, 'link', 'add', 'br0', 'type', 'bridge']);
        await run('ip', ['-n', ns, 'link', 'set', 'br0', 'up']);
      }
    },
    agents: [
      { host: 'a1', bridge: 'br0', noAddress: true },
      { host: 'b1', bridge: 'br0', noAddress: true },
      'c1',
    ],
  });
  afterAll(async () => {
    await run('ip', ['netns', 'del', vmNs]).catch(() => undefined);
  });

  /** Plugs the VM into `host`'s br0 through a fresh veth pair (the old one, if any, is gone). */
  async function plugVm(host: LabHost): Promise<void> {
    await run('ip', [
      '-n',
      host.ns,
      'link',
      'add',
      'vmport',
      'type',
      'veth',
      'peer',
      'name',
      'vm0',
      'netns',
      vmNs,
    ]);
    await run('ip', ['-n', host.ns, 'link', 'set', 'vmport', 'master', 'br0', 'up']);
    await run('ip', ['-n', vmNs, 'link', 'set', 'vm0', 'address', VM_MAC]);
    await run('ip', ['-n', vmNs, 'addr', 'add', `${VM_IP}/24`, 'dev', 'vm0']);
    await run('ip', ['-n', vmNs, 'link', 'set', 'vm0', 'up']);
  }

  test('traffic to a moved MAC converges within 1 s', async () => {
    const mesh = lab();
    await plugVm(mesh.world.host('a1'));
    const c1 = mesh.agent('c1');
    const pings = PingRun.start(c1.host, VM_IP, 100, 0.05); // 5 s
    await pings.waitReplyAfter(0, 10_000);
    expect((await c1.status()).peers.find((p) => p.name === 'a1')?.state).toBe('connected');

    // Migrate: unplug at A, plug at B, announce.
    await run('ip', ['-n', mesh.world.host('a1').ns, 'link', 'del', 'vmport']);
    await plugVm(mesh.world.host('b1'));
    const movedAt = Date.now();
    await run('ip', ['netns', 'exec', vmNs, 'arping', '-U', '-c', '1', '-I', 'vm0', VM_IP]);
    const resumedAt = await pings.waitReplyAfter(movedAt, 5000);
    expect(resumedAt - movedAt).toBeLessThan(1000);
    await pings.finish();

    // The control plane agrees: the server (and so the console) has the MAC at site B only.
    await waitFor(
      'the VM binding to move from a1 to b1 on the server',
      async () => {
        const r = await mesh.admin(['node', 'list', '--json']);
        const nodes = JSON.parse(r.stdout) as { name: string; bindings: { mac: string }[] }[];
        const holders = nodes
          .filter((n) => n.bindings.some((b) => b.mac.toLowerCase() === VM_MAC))
          .map((n) => n.name);
        return holders.length === 1 && holders[0] === 'b1' ? true : undefined;
      },
      5000,
    );
  });
});
