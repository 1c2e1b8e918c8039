// The agent's forwarders driven without a device: random and mutated packets "from the device" and
// "from peers", interleaved with control-plane peer updates that passed the protocol schema (a
// compromised signaling server can send any of those). Nothing throws out of the forwarder (a throw
// here would kill the device read loop or a link's message handler), frames from a peer never go to
// another peer, and frames only go to peers the forwarder was told about.
import { frameArbitraries, mutated } from '@rtcmesh/dataplane/testing';
import { type PeerInfo, PeerInfoSchema } from '@rtcmesh/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Forwarder, FrameSink } from './forwarder.js';
import { L2Forwarder } from './l2-forwarder.js';
import { L3Forwarder } from './l3-forwarder.js';

const PEERS = ['node-bbb', 'node-ccc', 'node-ddd'];
/** In the MAC pool below: frames to and from the forwarder itself come up. */
const OWN_MAC = '02:00:00:00:00:01';

/** The engines' generators (packages/dataplane), their host pool inside the forwarders' network. */
const {
  anyMac: mac,
  v4Addr: v4,
  v6Addr: v6,
  ipPacket: ip,
  ethFrame: frame,
} = frameArbitraries({ macPool: 31, hostPool: 21, v4Hosts: '10.99.0.0/24', v6Hosts: 'fd00::/64' });
const noise = fc.uint8Array({ maxLength: 100 }).map((u) => Buffer.from(u));

/** Peer updates as a hostile server could send them: anything the protocol schema lets through. */
const peerInfo: fc.Arbitrary<PeerInfo> = fc
  .record({
    nodeId: fc.constantFrom(...PEERS),
    name: fc.constantFrom('b', 'c'),
    publicKey: fc.constant('AAAA'),
    addresses: fc.array(
      fc.oneof(
        fc.tuple(v4, fc.nat(32)).map(([a, l]) => `${a}/${l}`),
        fc.tuple(v6, fc.nat(128)).map(([a, l]) => `${a}/${l}`),
      ),
      { maxLength: 3 },
    ),
    mac,
    online: fc.boolean(),
    lastSeen: fc.constant(null),
    bindings: fc.array(
      fc.record({ mac, ips: fc.array(fc.oneof(v4, v6), { maxLength: 4 }), seq: fc.nat(5) }),
      { maxLength: 6 },
    ),
    routes: fc.array(
      fc.record({
        prefix: fc.oneof(
          fc.tuple(v4, fc.nat(32)).map(([a, l]) => `${a}/${l}`),
          fc.tuple(v6, fc.nat(128)).map(([a, l]) => `${a}/${l}`),
        ),
        seq: fc.nat(5),
      }),
      { maxLength: 6 },
    ),
  })
  .filter((p) => PeerInfoSchema.safeParse(p).success);

type Step =
  | { kind: 'device'; data: Buffer[] }
  | { kind: 'peer'; peer: string; data: Buffer }
  | { kind: 'update'; info: PeerInfo }
  | { kind: 'add' | 'remove'; peer: string }
  | { kind: 'sweep'; dt: number };

function steps(data: fc.Arbitrary<Buffer>): fc.Arbitrary<Step[]> {
  const peer = fc.constantFrom(...PEERS, 'node-unknown');
  return fc.array(
    fc.oneof(
      {
        weight: 8,
        arbitrary: fc.record({
          kind: fc.constant('device' as const),
          data: fc.array(data, { maxLength: 4 }),
        }),
      },
      { weight: 8, arbitrary: fc.record({ kind: fc.constant('peer' as const), peer, data }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('update' as const), info: peerInfo }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('add' as const, 'remove' as const), peer }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const), dt: fc.nat(600_000) }) },
    ),
    { minLength: 10, maxLength: 120, size: 'max' },
  );
}

/** Records where frames went; `source` is what the forwarder was handling when it sent. */
class RecordingSink implements FrameSink {
  source: 'device' | 'peer' = 'device';
  readonly sentToPeers: { peer: string; source: 'device' | 'peer' }[] = [];
  toDevice(): boolean {
    return true;
  }
  toPeer(peerId: string): boolean {
    this.sentToPeers.push({ peer: peerId, source: this.source });
    return true;
  }
}

function run(fwd: Forwarder, sink: RecordingSink, script: Step[]): void {
  const known = new Set<string>();
  let now = Date.now();
  for (const s of script) {
    sink.sentToPeers.length = 0;
    if (s.kind === 'device') {
      sink.source = 'device';
      fwd.fromDevice(s.data);
    } else if (s.kind === 'peer') {
      sink.source = 'peer';
      fwd.fromPeer(s.peer, s.data);
    } else if (s.kind === 'update') {
      fwd.updatePeer(s.info);
      known.add(s.info.nodeId);
    } else if (s.kind === 'add') {
      fwd.addPeer(s.peer);
      known.add(s.peer);
    } else if (s.kind === 'remove') {
      fwd.removePeer(s.peer);
      known.delete(s.peer);
    } else if (s.kind === 'sweep') {
      now += s.dt;
      fwd.sweep(now);
    }
    for (const sent of sink.sentToPeers) {
      expect(sent.source).toBe('device');
      expect(known.has(sent.peer)).toBe(true);
    }
  }
  for (const v of Object.values(fwd.counters())) expect(Number.isFinite(v)).toBe(true);
  for (const b of fwd.localBindings()) expect(b.mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i);
}

describe('agent forwarders under hostile input', () => {
  it('L2 (TAP): random and mutated frames and schema-valid peer updates never throw or transit', () => {
    fc.assert(
      fc.property(steps(fc.oneof(frame, mutated(frame), noise)), (script) => {
        const sink = new RecordingSink();
        const fwd = new L2Forwarder(sink, { mac: OWN_MAC, ips: ['10.99.0.1'], seq: 1 }, {}, {});
        run(fwd, sink, script);
      }),
      { seed: 77, numRuns: 150 },
    );
  });

  it('L3 (TUN): random and mutated packets and schema-valid peer updates never throw or transit', () => {
    fc.assert(
      fc.property(steps(fc.oneof(ip, mutated(ip), noise)), (script) => {
        const sink = new RecordingSink();
        const fwd = new L3Forwarder(sink, {
          addresses: ['10.99.0.1/24', 'fd00::1/64'],
          routes: [{ prefix: '192.168.1.0/24', seq: 1 }],
        });
        run(fwd, sink, script);
      }),
      { seed: 78, numRuns: 150 },
    );
  });
});
