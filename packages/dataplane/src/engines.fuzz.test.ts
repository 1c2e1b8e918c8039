// Hostile input into the engines as a whole, over time: random and mutated-valid frames from the
// device and from peers, interleaved with control-plane updates (garbage bindings, invalid routes),
// peers coming and going and aging sweeps. The engines never throw on data-plane input, every
// decision is coherent, and the tables stay within their configured bounds (a peer spraying source
// MACs or addresses cannot grow memory).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv4Packet, udpDatagram } from './builders/frames.js';
import { type Binding, MAX_IPS_PER_MAC } from './l2/bindings.js';
import { L2Switch } from './l2/l2-switch.js';
import { L3Router } from './l3/l3-router.js';
import { RouteTable } from './l3/route-table.js';
import { parseEthernet } from './parse/ethernet.js';
import { frameArbitraries, mutated } from './testing/arbitraries.js';

const MAX_MACS = 12;
const MAX_BINDINGS_PER_PEER = 8;
const MAX_ROUTES = 16;
const PEERS = ['p1', 'p2', 'p3'];
const PORTS = ['local', ...PEERS, 'ghost'];

/** Small pools, so sources collide, move between ports and fill the tables. */
const { macPool, anyMac, v4Addr, v6Addr, ipPacket, ethFrame } = frameArbitraries({
  macPool: 81,
  hostPool: 41,
});

const noise = fc.uint8Array({ maxLength: 128 }).map((u) => Buffer.from(u));
const frames = fc.oneof(
  { weight: 3, arbitrary: ethFrame },
  { weight: 3, arbitrary: mutated(ethFrame) },
  noise,
);
const packets = fc.oneof(
  { weight: 3, arbitrary: ipPacket },
  { weight: 3, arbitrary: mutated(ipPacket) },
  noise,
);

/** What a hostile or buggy control plane could hand the switch (the agent passes it through). */
const binding: fc.Arbitrary<Binding> = fc.oneof(
  fc.record({ mac: macPool, ips: fc.array(fc.oneof(v4Addr, v6Addr), { maxLength: 20 }), seq: fc.nat(10) }),
  fc.record({
    mac: fc.oneof(fc.string(), anyMac),
    ips: fc.array(fc.string({ maxLength: 40 }), { maxLength: 3 }),
    seq: fc.oneof(fc.integer(), fc.double()),
  }),
  fc.anything() as fc.Arbitrary<Binding>,
);

const route = fc.record({
  prefix: fc.oneof(
    fc.tuple(v4Addr, fc.nat(32)).map(([a, l]) => `${a}/${l}`),
    fc.tuple(v6Addr, fc.nat(128)).map(([a, l]) => `${a}/${l}`),
    fc.string({ maxLength: 20 }),
  ),
  owner: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...PEERS) }, fc.constantFrom('local', 'ghost', '')),
  seq: fc.oneof(fc.nat(5), fc.integer()),
  kind: fc.constantFrom('node', 'subnet', 'host', 'bogus'),
});

type Op<T> =
  | { op: 'frame'; port: string; data: Buffer; dt: number }
  | { op: 'control'; peer: string; value: T }
  | { op: 'add' | 'remove'; peer: string }
  | { op: 'sweep'; dt: number };

function ops<T>(data: fc.Arbitrary<Buffer>, control: fc.Arbitrary<T>): fc.Arbitrary<Op<T>[]> {
  const peer = fc.constantFrom(...PEERS);
  return fc.array(
    fc.oneof(
      {
        weight: 20,
        arbitrary: fc.record({
          op: fc.constant('frame' as const),
          port: fc.constantFrom(...PORTS),
          data,
          dt: fc.nat(20_000),
        }),
      },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('control' as const), peer, value: control }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('add' as const, 'remove' as const), peer }) },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('sweep' as const), dt: fc.nat(400_000) }) },
    ),
    // Long runs (size 'max'): the tables only fill, age and evict over many steps.
    { minLength: 20, maxLength: 200, size: 'max' },
  );
}

describe('L2Switch under hostile frames and bindings', () => {
  it('never throws, keeps split horizon, and its tables within bounds', () => {
    fc.assert(
      fc.property(ops(frames, fc.array(binding, { maxLength: 40 })), (steps) => {
        const s = new L2Switch({
          macTable: { maxEntries: MAX_MACS, ageMs: 300_000, holdDownMs: 5_000 },
          maxBindingsPerPeer: MAX_BINDINGS_PER_PEER,
          storm: { pps: 200, burst: 50 },
        });
        for (const p of PEERS.slice(0, 2)) s.addPeer(p);
        const attached = new Set<string>(PEERS.slice(0, 2));
        let now = 1;
        let processed = 0;
        for (const step of steps) {
          if (step.op === 'frame') {
            now += step.dt;
            const before = Buffer.from(step.data);
            const d = s.process(step.port, step.data, now);
            processed++;
            if (step.port !== 'local') expect(d.toPeers).toEqual([]);
            for (const p of d.toPeers) expect(attached.has(p)).toBe(true);
            if (step.port === 'ghost') expect(d.drop).toBe('unknown-port');
            if (d.drop !== null) expect(d.toLocal || d.toPeers.length > 0).toBe(false);
            // Only an MSS clamp may change a frame, and never its length.
            expect(d.frame.length).toBe(before.length);
            for (const f of d.inject ?? []) expect(parseEthernet(f)).not.toBeNull();
          } else if (step.op === 'control') {
            if (!attached.has(step.peer)) {
              expect(() => s.setRemoteBindings(step.peer, step.value, now)).toThrow(/not an added peer/);
              continue;
            }
            const r = s.setRemoteBindings(step.peer, step.value, now);
            // Duplicate MACs collapse into one entry, so this is at most, not exactly, the input size.
            expect(r.accepted + r.rejected).toBeLessThanOrEqual(step.value.length);
            expect(r.accepted).toBeLessThanOrEqual(MAX_BINDINGS_PER_PEER);
            expect(s.bindings.remoteOf(step.peer).length).toBeLessThanOrEqual(MAX_BINDINGS_PER_PEER);
          } else if (step.op === 'add') {
            s.addPeer(step.peer);
            attached.add(step.peer);
          } else if (step.op === 'remove') {
            s.removePeer(step.peer, now);
            attached.delete(step.peer);
            expect(s.bindings.remoteOf(step.peer)).toEqual([]);
          } else if (step.op === 'sweep') {
            now += step.dt;
            s.sweep(now);
          }
          expect(s.macs.size).toBeLessThanOrEqual(MAX_MACS);
          expect(s.bindings.local.size).toBeLessThanOrEqual(MAX_MACS);
        }
        for (const b of s.localBindings()) expect(b.ips.length).toBeLessThanOrEqual(MAX_IPS_PER_MAC);
        expect(s.counters.frames).toBe(processed);
        expect([...s.peers].sort()).toEqual([...attached].sort());
      }),
      { seed: 4242, numRuns: 200 },
    );
  });
});

describe('L3Router under hostile packets and routes', () => {
  it('never throws on packets, transits only to relay a moved host, and the route table stays bounded', () => {
    fc.assert(
      fc.property(ops(packets, fc.array(route, { maxLength: 12 })), fc.boolean(), (steps, checkSource) => {
        const routes = new RouteTable(MAX_ROUTES);
        const r = new L3Router({ routes, icmpSource4: '10.0.0.1', icmpSource6: 'fd00::1', checkSource });
        routes.upsert({ prefix: '10.0.0.1/32', owner: 'local', seq: 0, kind: 'node' });
        routes.upsert({ prefix: 'fd00::1/128', owner: 'local', seq: 0, kind: 'node' });
        for (const p of PEERS.slice(0, 2)) r.addPeer(p);
        const attached = new Set<string>(PEERS.slice(0, 2));
        let now = 1;
        for (const step of steps) {
          if (step.op === 'frame') {
            now += step.dt;
            const len = step.data.length;
            const d = r.process(step.port, step.data, now);
            if (d.action === 'peer') {
              expect(attached.has(d.peer!)).toBe(true);
              if (step.port !== 'local') {
                // The one transit: the old site of a moved workload relays to its new site (a host
                // route inside a prefix this node routes), never back to the sender.
                expect(d.route?.kind).toBe('host');
                expect(d.peer).not.toBe(step.port);
                expect(routes.hasRouteVia4(d.packet.readUInt32BE(16), 'local')).toBe(true);
              }
            }
            if (d.action === 'drop') expect(d.drop).not.toBeNull();
            else expect(d.drop).toBeNull();
            if (step.port === 'ghost') expect(d.drop).toBe('unknown-port');
            expect(d.packet.length).toBe(len);
            if (d.inject) {
              expect(step.port).toBe('local');
              expect([4, 6]).toContain(d.inject[0]! >> 4);
            }
          } else if (step.op === 'control') {
            // Invalid routes are refused with an error (the control plane validates before this).
            for (const rt of step.value) {
              try {
                routes.upsert(rt as Parameters<RouteTable['upsert']>[0]);
              } catch (err) {
                expect((err as Error).message).toMatch(/invalid|full|owner/);
              }
            }
          } else if (step.op === 'add') {
            r.addPeer(step.peer);
            attached.add(step.peer);
          } else if (step.op === 'remove') {
            r.removePeer(step.peer);
            attached.delete(step.peer);
          } else if (step.op === 'sweep') {
            now += step.dt;
          }
          expect(routes.size).toBeLessThanOrEqual(MAX_ROUTES);
        }
        expect([...r.peers].sort()).toEqual([...attached].sort());
      }),
      { seed: 4243, numRuns: 200 },
    );
  });
});

describe('regressions found by the fuzzer', () => {
  it('a full route table refuses a new prefix without poisoning lookups for it', () => {
    const routes = new RouteTable(1);
    routes.upsert({ prefix: '10.0.0.0/24', owner: 'p1', seq: 0, kind: 'subnet' });
    expect(() => routes.upsert({ prefix: '10.0.1.0/24', owner: 'p1', seq: 0, kind: 'subnet' })).toThrow(
      /full/,
    );
    expect(routes.lookup('10.0.1.5')).toBeUndefined();
    const r = new L3Router({ routes, checkSource: false });
    r.addPeer('p1');
    const d = r.process(
      'local',
      ipv4Packet({
        src: '10.9.0.1',
        dst: '10.0.1.5',
        protocol: 17,
        payload: udpDatagram(1, 2, Buffer.alloc(4)),
      }),
      0,
    );
    expect(d.drop).toBe('no-route');
  });
});
