import { describe, expect, test } from 'vitest';
import { labSkipReason } from '../lab/index.js';
import { useMeshLab } from './fixture.js';
import type { LabAgent } from './mesh-lab.js';
import { streamIntact } from './stream.js';

const BYTES = 30 * 1024 * 1024;

/** Both directions of a TCP stream cross intact between an agent with offloads and one without. */
async function bothWays(a: LabAgent, b: LabAgent, aIp: string, bIp: string, port: number): Promise<void> {
  for (const [from, to, ip, p] of [
    [a, b, bIp, port],
    [b, a, aIp, port + 1],
  ] as const) {
    const { sent, received } = await streamIntact(from, to, ip, p, BYTES);
    expect(received.bytes, `${from.name} -> ${to.name}`).toBe(BYTES);
    expect(received.sha256).toBe(sent.sha256);
  }
}

/** The device counters of an agent's status. */
async function device(agent: LabAgent) {
  const d = (await agent.status()).device;
  if (!d?.counters || !d.offloads) throw new Error(`${agent.name} reports no device offloads`);
  return { offloads: d.offloads, coalescing: d.coalescing, counters: d.counters };
}

/**
 * Issue 15: device offloads. An agent reads up to 64 KiB of a TCP flow per system call (the kernel's
 * TSO, split into packets in the addon) and merges what it writes into GSO writes; `--no-offload`
 * reads and writes packet by packet. The two interoperate: what crosses the link is plain packets.
 */
const skip = await labSkipReason();
describe.skipIf(skip !== undefined)('device offloads (L3)', { timeout: 300_000 }, () => {
  const lab = useMeshLab({
    world: { sites: { a: { nat: 'cone', hosts: ['a1'] }, b: { nat: 'cone', hosts: ['b1'] } } },
    network: { mode: 'l3', cidr: '10.99.0.0/24' },
    agentEnv: { RTCMESH_CONNECT_TIMEOUT_MS: '4000' },
    agents: ['a1', { host: 'b1', args: ['--no-offload'] }],
  });

  test('an agent with offloads and one started with --no-offload move TCP both ways intact', async () => {
    const a1 = lab().agent('a1');
    const b1 = lab().agent('b1');
    await bothWays(a1, b1, await a1.address(), await b1.address(), 5401);
    const a = await device(a1);
    const b = await device(b1);
    expect(a.offloads).toMatchObject({ checksum: true, tso4: true, tso6: true });
    expect(a.coalescing).toBe(true);
    // a1 read its TCP stream as GSO packets (fewer reads than packets) and merged what it wrote.
    expect(a.counters.offloadSuperPackets).toBeGreaterThan(0);
    expect(a.counters.offloadSegments).toBeGreaterThan(a.counters.offloadSuperPackets!);
    expect(a.counters.framesCoalesced).toBeGreaterThan(0);
    expect(a.counters.offloadInvalid).toBe(0);
    // b1 did neither.
    expect(b.offloads).toEqual({ checksum: false, tso4: false, tso6: false, uso: false });
    expect(b.coalescing).toBe(false);
    expect(b.counters).toMatchObject({ offloadSuperPackets: 0, framesCoalesced: 0 });
  });
});

describe.skipIf(skip !== undefined)(
  'device offloads (L2, through the learning switch)',
  { timeout: 300_000 },
  () => {
    const lab = useMeshLab({
      world: { sites: { a: { nat: 'cone', hosts: ['a1'] }, b: { nat: 'cone', hosts: ['b1'] } } },
      network: { mode: 'l2', cidr: '10.98.0.0/24' },
      agentEnv: { RTCMESH_CONNECT_TIMEOUT_MS: '4000' },
      agents: ['a1', { host: 'b1', args: ['--no-offload'] }],
    });

    test('GSO frames from the TAP are split before the switch: TCP crosses intact, nothing counted as a storm', async () => {
      const a1 = lab().agent('a1');
      const b1 = lab().agent('b1');
      await bothWays(a1, b1, await a1.address(), await b1.address(), 5501);
      const a = await device(a1);
      expect(a.counters.offloadSuperPackets).toBeGreaterThan(0);
      expect(a.counters.offloadInvalid).toBe(0);
      const counters = (await a1.status()).counters;
      // Every segment went through the switch as a unicast frame to a learned MAC: no flooding, no
      // storm-control drops.
      for (const [k, v] of Object.entries(counters))
        if (/storm|flood/i.test(k)) expect(v, k).toBeLessThan(50);
    });
  },
);
