import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { labSkipReason, type WorldSpec } from '../lab/index.js';
import { policyStatus, setPolicy, waitPolicy } from './acl-policy.js';
import { useMeshLab } from './fixture.js';
import { SIGNAL_BIN, type StatusJson, waitFor } from './mesh-lab.js';

/**
 * Issue 7: node keys the signaling server cannot fake. `rtcmesh rekey` rotates a running node's key
 * without dropping its links (and new links verify the new key); a locked network admits only nodes
 * whose key an operator signed with a key the server never sees.
 */
const skip = await labSkipReason();

/** Two NATed sites with an agent each; c1 arrives later in both scenarios. */
const THREE_SITES: WorldSpec = {
  sites: {
    a: { nat: 'cone', hosts: ['a1'] },
    b: { nat: 'cone', hosts: ['b1'] },
    c: { nat: 'none', hosts: ['c1'] },
  },
};

type Peer = StatusJson['peers'][number] & { refused?: string | null };
const peerOf = async (agent: { status(): Promise<StatusJson> }, name: string): Promise<Peer | undefined> =>
  (await agent.status()).peers.find((p) => p.name === name) as Peer | undefined;

describe.skipIf(skip !== undefined)('node key rotation', { timeout: 180_000 }, () => {
  const lab = useMeshLab({
    world: THREE_SITES,
    network: { mode: 'l3', cidr: '10.97.0.0/24' },
    // This scenario also runs the whole product over TLS (HTTPS/WSS, agents pinning a private CA).
    tls: true,
    agents: ['a1', 'b1'],
  });

  test('rekey keeps links up, peers learn the new key, new links verify it', async () => {
    const mesh = lab();
    const a1 = mesh.agent('a1');
    const b1 = mesh.agent('b1');
    const b1Ip = await b1.address();
    expect(mesh.serverUrl).toMatch(/^https:/);
    const r = await a1.cli(['rekey']);
    expect(r.code, r.stderr).toBe(0);
    const newKey = /new (\S+)/.exec(r.stdout)?.[1];
    expect(newKey).toBeDefined();
    // The server has the new key.
    const nodes = await mesh.admin(['node', 'list', '--json']);
    expect(JSON.parse(nodes.stdout).find((n: { name: string }) => n.name === 'a1').publicKey).toBe(newKey);
    // The link that was up stays up.
    expect((await a1.ping(b1Ip, 3)).received).toBeGreaterThanOrEqual(2);
    expect((await peerOf(b1, 'a1'))?.state).toBe('connected');
    // A node that arrives now only knows a1's new key, and links with it (a1 signs with the new key).
    const c1 = await mesh.startAgent('c1');
    await c1.waitConnected('a1', 45_000);
    expect((await c1.ping(await a1.address(), 3)).received).toBeGreaterThanOrEqual(2);
  });
});

describe.skipIf(skip !== undefined)('locked network', { timeout: 240_000 }, () => {
  const lab = useMeshLab({
    world: THREE_SITES,
    network: { mode: 'l3', cidr: '10.96.0.0/24' },
    agents: ['a1', 'b1'],
  });

  test('only nodes signed with the operator key get links; a signed disablement lifts the lock', async () => {
    const mesh = lab();
    const a1 = mesh.agent('a1');
    const b1 = mesh.agent('b1');
    // The operator key lives outside the server's data directory (on the operator's machine).
    const opDir = await mkdtemp(join(tmpdir(), 'rtm-operator-'));
    const opKey = join(opDir, 'operator.key');
    try {
      const gen = await mesh.world.server.exec('node', [SIGNAL_BIN, 'lock', 'keygen', '--out', opKey]);
      expect(gen.code, gen.stderr).toBe(0);
      const opPub = gen.stdout.trim();
      const locked = await mesh.admin(['lock', 'enable', 'lab', '--key', opPub]);
      expect(locked.code, locked.stderr).toBe(0);

      // Nobody is signed yet: both agents pin the lock and refuse each other.
      await waitFor(
        'a1 to refuse b1',
        async () => ((await peerOf(a1, 'b1'))?.refused ? true : undefined),
        10_000,
      );
      expect((await peerOf(a1, 'b1'))?.refused).toMatch(/not signed by an operator lock key/);
      expect((await a1.ping(await b1.address(), 2)).received).toBe(0);

      for (const n of ['a1', 'b1']) {
        const s = await mesh.admin(['lock', 'sign', n, '--operator-key', opKey]);
        expect(s.code, s.stderr).toBe(0);
      }
      await a1.waitConnected('b1', 45_000);
      expect((await a1.ping(await b1.address(), 3)).received).toBeGreaterThanOrEqual(2);

      // A node the server adds without the operator: refused by the signed ones, even though the
      // server introduces it like any other.
      const c1 = await mesh.startAgent('c1');
      await waitFor(
        'a1 to refuse c1',
        async () => ((await peerOf(a1, 'c1'))?.refused ? true : undefined),
        15_000,
      );
      expect((await c1.ping(await a1.address(), 2)).received).toBe(0);
      // A compromised server re-locks the network to a key of its own and signs c1 with it: the
      // agents pinned the operator's key, so c1 stays out.
      const rogueKey = join(opDir, 'rogue.key');
      const rogue = await mesh.world.server.exec('node', [SIGNAL_BIN, 'lock', 'keygen', '--out', rogueKey]);
      expect((await mesh.admin(['lock', 'enable', 'lab', '--key', rogue.stdout.trim()])).code).toBe(0);
      const forged = await mesh.admin(['lock', 'sign', 'c1', '--operator-key', rogueKey]);
      expect(forged.code, forged.stderr).toBe(0);
      await waitFor(
        'c1 to be signed on the server',
        async () =>
          (await mesh.admin(['lock', 'status', 'lab'])).stdout.match(/c1\s+\S+\s+\S+\s+yes/)
            ? true
            : undefined,
        5000,
      );
      expect((await peerOf(a1, 'c1'))?.refused).toMatch(/not signed by an operator lock key/);
      expect((await c1.ping(await a1.address(), 2)).received).toBe(0);
      // The real operator signs c1: admitted.
      expect((await mesh.admin(['lock', 'enable', 'lab', '--key', opPub])).code).toBe(0);
      const s = await mesh.admin(['lock', 'sign', 'c1', '--operator-key', opKey]);
      expect(s.code, s.stderr).toBe(0);
      await c1.waitConnected('a1', 45_000);

      // The policy of a locked network counts once an operator signed it: a1 takes nothing from b1.
      const closed = await setPolicy(mesh, { default: 'deny' });
      const signedPolicy = await mesh.admin(['lock', 'sign-policy', 'lab', '--operator-key', opKey]);
      expect(signedPolicy.code, signedPolicy.stderr).toBe(0);
      expect(signedPolicy.stdout).toMatch(new RegExp(`signed policy version ${closed} of lab`));
      await waitPolicy([a1], closed);
      expect((await b1.ping(await a1.address(), 2)).received, 'b1 -> a1 under the signed closed policy').toBe(
        0,
      );
      // Whoever controls the server writes an allow-all policy: unsigned, so a1 keeps the signed one.
      const open = await setPolicy(mesh, { default: 'allow' });
      await waitFor(
        'a1 to refuse the unsigned policy',
        async () => ((await policyStatus(a1)).lastError?.match(/not signed/) ? true : undefined),
        10_000,
      );
      expect((await policyStatus(a1)).version).toBe(closed);
      expect((await b1.ping(await a1.address(), 2)).received, 'b1 -> a1 after the unsigned policy').toBe(0);
      // The operator signs it: in force.
      expect((await mesh.admin(['lock', 'sign-policy', 'lab', '--operator-key', opKey])).code).toBe(0);
      await waitPolicy([a1], open);
      expect((await b1.ping(await a1.address(), 3)).received).toBeGreaterThanOrEqual(2);

      // c1 rotates its key: nobody signed the new one, so the locked agents refuse it...
      const rekey = await c1.cli(['rekey']);
      expect(rekey.code, rekey.stderr).toBe(0);
      await waitFor(
        "a1 to refuse c1's new key",
        async () => ((await peerOf(a1, 'c1'))?.refused ? true : undefined),
        15_000,
      );
      // ...until the operator lifts the lock: the agents verify the signed disablement, unpin the
      // keys and take c1 again.
      const lifted = await mesh.admin(['lock', 'disable', 'lab', '--operator-key', opKey]);
      expect(lifted.code, lifted.stderr).toBe(0);
      expect(lifted.stdout).toMatch(/network lab unlocked/);
      await c1.waitConnected('a1', 45_000);
      expect((await peerOf(a1, 'c1'))?.refused).toBeFalsy();
      expect((await c1.ping(await a1.address(), 3)).received).toBeGreaterThanOrEqual(2);
    } finally {
      await rm(opDir, { recursive: true, force: true });
    }
  });
});
