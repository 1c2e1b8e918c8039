import { describe, expect, test } from 'vitest';
import { labSkipReason } from '../lab/index.js';
import { linkSince, policyStatus, setPolicy, waitPolicy } from './acl-policy.js';
import { useMeshLab } from './fixture.js';
import type { LabAgent } from './mesh-lab.js';

/**
 * Issue 7, ACLs on a real L2 segment: a denied node pair cannot exchange frames while the other pairs
 * can; an EtherType list lets only what it names through; both change live, links staying up.
 */
const skip = await labSkipReason();
describe.skipIf(skip !== undefined)('L2 access policy', { timeout: 120_000 }, () => {
  const lab = useMeshLab({
    world: { sites: { a: { nat: 'cone', hosts: ['a1', 'b1', 'c1'] } } },
    network: { mode: 'l2', cidr: '10.96.0.0/24' },
    agentEnv: { RTCMESH_CONNECT_TIMEOUT_MS: '4000' },
    agents: ['a1', 'b1', 'c1'],
  });
  const agents = () => ['a1', 'b1', 'c1'].map((n) => lab().agent(n)) as [LabAgent, LabAgent, LabAgent];

  test('a denied pair cannot ping, the other pairs can, and the receivers count it', async () => {
    const [a1, b1, c1] = agents();
    const [aIp, bIp, cIp] = await Promise.all([a1.address(), b1.address(), c1.address()]);
    const before = await linkSince(a1);
    // Pairs a1-b1 and b1-c1 only (rules are symmetric): a1 and c1 may not talk.
    const v = await setPolicy(lab(), {
      l2: [
        { src: ['a1'], dst: ['b1'] },
        { src: ['c1'], dst: ['b1'], comment: 'c1 reaches the shared service on b1 only' },
      ],
    });
    await waitPolicy([a1, b1, c1], v);
    await a1.host.exec('ip', ['neigh', 'flush', 'dev', 'rtm0']);
    expect((await a1.ping(bIp, 2)).received, 'a1 -> b1').toBe(2);
    expect((await c1.ping(bIp, 2)).received, 'c1 -> b1').toBe(2);
    expect((await a1.ping(cIp, 2)).received, 'a1 -> c1').toBe(0);
    expect((await c1.ping(aIp, 2)).received, 'c1 -> a1').toBe(0);
    const a1Id = (await a1.status()).node.id;
    const c1Id = (await c1.status()).node.id;
    expect((await policyStatus(c1)).deniedByPeer[a1Id] ?? 0).toBeGreaterThanOrEqual(2);
    expect((await policyStatus(a1)).deniedByPeer[c1Id] ?? 0).toBeGreaterThanOrEqual(2);
    expect((await policyStatus(b1)).denied).toBe(0);
    expect(await linkSince(a1)).toEqual(before);
  });

  test('an EtherType list lets through only what it names, and changes live', async () => {
    const [a1, b1, c1] = agents();
    const bIp = await b1.address();
    const links = await linkSince(a1);
    const arpOnly = await setPolicy(lab(), { l2: [{ src: ['*'], dst: ['*'], ethertypes: ['arp'] }] });
    await waitPolicy([a1, b1, c1], arpOnly);
    expect((await a1.ping(bIp, 2)).received, 'IPv4 with only ARP allowed').toBe(0);
    expect((await policyStatus(b1)).verdicts['denied.ethertype'] ?? 0).toBeGreaterThanOrEqual(2);

    const ipv4 = await setPolicy(lab(), { l2: [{ src: ['*'], dst: ['*'], ethertypes: ['ipv4'] }] });
    await waitPolicy([a1, b1, c1], ipv4);
    await a1.host.exec('ip', ['neigh', 'flush', 'dev', 'rtm0']);
    expect((await a1.ping(bIp, 2)).received, 'IPv4 (ARP comes with it)').toBe(2);
    expect(await linkSince(a1)).toEqual(links);
  });
});
