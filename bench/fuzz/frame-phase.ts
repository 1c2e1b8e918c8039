// The data-plane half of the fuzz bench: random, mutated-valid and valid frames through an L2Switch
// and packets through an L3Router (production defaults), plus every packet parser on each input,
// with control-plane churn (garbage bindings, invalid routes, peers leaving and coming back, aging).
// A throw or a broken invariant is a finding; table sizes must stay within their bounds.
import fc from 'fast-check';
import {
  etherTypeOffset,
  L2Switch,
  L3Router,
  MssClamper,
  parseArp,
  parseDhcpAck,
  parseEthernet,
  parseIcmp,
  parseIpv4Header,
  parseIpv6Header,
  parseNeighborMessage,
  parseTcp,
  parseUdp,
  RouteTable,
} from '../../packages/dataplane/src/index.js';
import { frameArbitraries } from '../../packages/dataplane/src/testing/arbitraries.js';

export type FrameFuzzStats = {
  frames: number;
  packets: number;
  seconds: number;
  inputsPerSecond: number;
  mix: { valid: number; mutated: number; random: number };
  l2: { macs: number; maxMacs: number; drops: Record<string, number>; flooded: number; toLocal: number };
  l3: { routes: number; maxRoutes: number; drops: Record<string, number>; toPeer: number; toLocal: number };
  controlUpdates: number;
  /** Findings: each of these fails the bench. */
  throws: { where: string; error: string; input: string }[];
  invariantViolations: string[];
};

const MAX_MACS = 16_384; // MacTable default
const MAX_ROUTES = 20_000;
const PEERS = Array.from({ length: 8 }, (_, i) => `peer-${i}`);
const PORTS = ['local', ...PEERS, 'stranger'];

/** mulberry32: fast and seeded, so a finding reproduces. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Pools as large as production tables allow, so the bench fills them (packages/dataplane/src/testing).
const {
  anyMac: mac,
  v4Addr: v4,
  v6Addr: v6,
  ipPacket: packet,
  ethFrame: frame,
} = frameArbitraries({ macPool: 2001, hostPool: 255 });

/** Draws inputs: 35 % valid (from a pool), 40 % mutated from the pool, 25 % random bytes. */
class InputSource {
  readonly mix = { valid: 0, mutated: 0, random: 0 };
  constructor(
    private readonly pool: Buffer[],
    private readonly rand: () => number,
  ) {}

  next(): Buffer {
    const r = this.rand();
    const base = this.pool[Math.floor(this.rand() * this.pool.length)]!;
    if (r < 0.35) {
      this.mix.valid++;
      return Buffer.from(base); // engines may clamp in place: never hand out the pool's own buffer
    }
    if (r < 0.75) {
      this.mix.mutated++;
      const cut = this.rand() < 0.5 ? Math.floor(this.rand() * base.length) : 0;
      const b = Buffer.from(base.subarray(0, base.length - cut));
      const edits = 1 + Math.floor(this.rand() * 4);
      for (let i = 0; i < edits && b.length > 0; i++)
        b[Math.floor(this.rand() * b.length)] = Math.floor(this.rand() * 256);
      return b;
    }
    this.mix.random++;
    const len = Math.floor(this.rand() * this.rand() * 1600);
    const b = Buffer.allocUnsafe(len);
    for (let i = 0; i < len; i++) b[i] = (this.rand() * 256) | 0;
    return b;
  }
}

function hex(b: Buffer): string {
  return b.subarray(0, 96).toString('hex');
}

/** Every parser at the offsets an engine would use: they must return null, never throw. */
function parseAll(b: Buffer, clamper: MssClamper): void {
  etherTypeOffset(b);
  parseEthernet(b);
  for (const o of [0, 14, 18]) {
    parseArp(b, o);
    parseIpv4Header(b, o);
    parseIpv6Header(b, o);
    parseNeighborMessage(b, o, b.length);
    parseTcp(b, o + 20);
    parseUdp(b, o + 20);
    parseIcmp(b, o + 20);
    parseDhcpAck(b, o + 28, b.length);
  }
  clamper.clampFrame(b);
  clamper.clampIp(b, 0);
}

export function runFrameFuzz(count: number, seed: number): FrameFuzzStats {
  const rand = prng(seed);
  const frames = new InputSource(fc.sample(frame, { numRuns: 4000, seed }), rand);
  const packets = new InputSource(fc.sample(packet, { numRuns: 4000, seed: seed + 1 }), rand);
  const bindings = fc.array(
    fc.oneof(
      fc.record({ mac, ips: fc.array(fc.oneof(v4, v6), { maxLength: 20 }), seq: fc.nat(1000) }),
      fc.anything() as fc.Arbitrary<never>,
    ),
    { maxLength: 50 },
  );
  const routes = fc.array(
    fc.record({
      prefix: fc.oneof(
        fc.tuple(v4, fc.nat(33)).map(([a, l]) => `${a}/${l}`),
        fc.tuple(v6, fc.nat(129)).map(([a, l]) => `${a}/${l}`),
        fc.string({ maxLength: 16 }),
      ),
      seq: fc.oneof(fc.nat(100), fc.integer()),
    }),
    { maxLength: 50 },
  );
  const bindingUpdates = fc.sample(bindings, { numRuns: 200, seed: seed + 2 });
  const routeUpdates = fc.sample(routes, { numRuns: 200, seed: seed + 3 });

  const l2 = new L2Switch();
  const table = new RouteTable(MAX_ROUTES);
  const l3 = new L3Router({ routes: table, icmpSource4: '10.0.0.1', icmpSource6: 'fd00::1' });
  table.upsert({ prefix: '10.0.0.1/32', owner: 'local', seq: 0, kind: 'node' });
  for (const p of PEERS) {
    l2.addPeer(p);
    l3.addPeer(p);
  }
  const clamper = new MssClamper();
  const stats: FrameFuzzStats = {
    frames: 0,
    packets: 0,
    seconds: 0,
    inputsPerSecond: 0,
    mix: { valid: 0, mutated: 0, random: 0 },
    l2: { macs: 0, maxMacs: MAX_MACS, drops: {}, flooded: 0, toLocal: 0 },
    l3: { routes: 0, maxRoutes: MAX_ROUTES, drops: {}, toPeer: 0, toLocal: 0 },
    controlUpdates: 0,
    throws: [],
    invariantViolations: [],
  };
  const finding = (where: string, err: unknown, input: Buffer) => {
    if (stats.throws.length < 20)
      stats.throws.push({ where, error: String((err as Error)?.stack ?? err), input: hex(input) });
  };
  const violation = (what: string) => {
    if (stats.invariantViolations.length < 20) stats.invariantViolations.push(what);
  };

  let now = 1;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    now += rand() * 2;
    const port = PORTS[Math.floor(rand() * PORTS.length)]!;
    const f = frames.next();
    try {
      const d = l2.process(port, f, now);
      if (port !== 'local' && d.toPeers.length > 0) violation(`L2 relayed a frame from ${port} to peers`);
      if (d.drop !== null && (d.toLocal || d.toPeers.length > 0))
        violation('L2 dropped and forwarded a frame');
    } catch (err) {
      finding('L2Switch.process', err, f);
    }
    const p = packets.next();
    try {
      const d = l3.process(port, p, now);
      if (port !== 'local' && d.action === 'peer') violation(`L3 routed a packet from ${port} to a peer`);
    } catch (err) {
      finding('L3Router.process', err, p);
    }
    for (const b of [f, p]) {
      try {
        parseAll(b, clamper);
      } catch (err) {
        finding('parsers', err, b);
      }
    }
    if (i % 5000 === 4999) {
      // Control-plane churn: what a hostile server or a buggy agent could hand the engines.
      const peer = PEERS[Math.floor(rand() * PEERS.length)]!;
      const k = stats.controlUpdates++ % 200;
      try {
        l2.setRemoteBindings(peer, bindingUpdates[k]!, now);
      } catch (err) {
        finding('L2Switch.setRemoteBindings', err, Buffer.alloc(0));
      }
      for (const r of routeUpdates[k]!) {
        try {
          table.upsert({ prefix: r.prefix, owner: peer, seq: r.seq, kind: 'subnet' });
        } catch {
          // Refusing an invalid route (or a full table) with an error is the documented behaviour.
        }
      }
      if (k % 10 === 0) {
        l2.removePeer(peer, now);
        l3.removePeer(peer);
        l2.addPeer(peer);
        l3.addPeer(peer);
      }
      l2.sweep(now);
      if (l2.macs.size > MAX_MACS) violation(`MAC table at ${l2.macs.size} > ${MAX_MACS}`);
      if (table.size > MAX_ROUTES) violation(`route table at ${table.size} > ${MAX_ROUTES}`);
    }
  }
  stats.seconds = (performance.now() - t0) / 1000;
  stats.frames = count;
  stats.packets = count;
  stats.inputsPerSecond = Math.round((2 * count) / stats.seconds);
  stats.mix = {
    valid: frames.mix.valid + packets.mix.valid,
    mutated: frames.mix.mutated + packets.mix.mutated,
    random: frames.mix.random + packets.mix.random,
  };
  stats.l2 = {
    macs: l2.macs.size,
    maxMacs: MAX_MACS,
    drops: Object.fromEntries(Object.entries(l2.counters.drops).filter(([, n]) => n > 0)),
    flooded: l2.counters.flooded,
    toLocal: l2.counters.toLocal,
  };
  stats.l3 = {
    routes: table.size,
    maxRoutes: MAX_ROUTES,
    drops: Object.fromEntries(Object.entries(l3.counters.drops).filter(([, n]) => n > 0)),
    toPeer: l3.counters.toPeer,
    toLocal: l3.counters.toLocal,
  };
  return stats;
}
