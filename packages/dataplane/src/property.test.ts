// Property tests: no parser or engine throws on arbitrary, truncated or corrupted bytes, and the
// invariants users rely on (split horizon, LPM, checksums) hold on random input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv6ToString, parseIpv6 } from './addr/ip.js';
import {
  arpPacket,
  ethernetFrame,
  icmpEcho,
  ipv4Packet,
  ipv6Packet,
  neighborSolicitation,
  tcpSegment,
  udpDatagram,
} from './builders/frames.js';
import { internetChecksum, updateChecksum16, verifyTransport4, verifyTransport6 } from './checksum.js';
import { L2Switch } from './l2/l2-switch.js';
import { L3Router } from './l3/l3-router.js';
import { RouteTable } from './l3/route-table.js';
import { MssClamper } from './mss-clamp.js';
import { parseArp } from './parse/arp.js';
import { parseDhcpAck } from './parse/dhcp.js';
import { etherTypeOffset, parseEthernet } from './parse/ethernet.js';
import { parseIpv4Header } from './parse/ipv4.js';
import { parseIpv6Header } from './parse/ipv6.js';
import { parseNeighborMessage } from './parse/ndp.js';
import { parseIcmp, parseTcp, parseUdp, tcpMssOffset } from './parse/transport.js';

const RUNS = { numRuns: 400 };

/** Real frames of every kind the engines look into, used as seeds for truncation and corruption. */
const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';
const v4 = (protocol: number, payload: Uint8Array) =>
  ipv4Packet({ src: '10.0.0.10', dst: '10.0.0.11', protocol, payload });
const v6 = (nextHeader: number, payload: Uint8Array, hopLimit = 64) =>
  ipv6Packet({ src: 'fd00::a', dst: 'fd00::b', nextHeader, payload, hopLimit });
const bootp = Buffer.alloc(244);
bootp.set([2, 1, 6]);
bootp.writeUInt32BE(0x63825363, 236);
bootp.set([53, 1, 5, 255], 240);
const PACKETS: Buffer[] = [
  v4(6, tcpSegment({ srcPort: 1, dstPort: 2, flags: 2, mss: 1460 })),
  v4(17, udpDatagram(67, 68, bootp)),
  v4(1, icmpEcho(1, 2)),
  v6(6, tcpSegment({ srcPort: 1, dstPort: 2, flags: 0x12, mss: 1440 })),
  v6(58, neighborSolicitation('fd00::b', A), 255),
  v6(17, udpDatagram(546, 547, Buffer.alloc(10))),
];
const FRAMES: Buffer[] = [
  ethernetFrame({
    dst: 'ff:ff:ff:ff:ff:ff',
    src: A,
    etherType: 0x0806,
    payload: arpPacket({
      op: 1,
      senderMac: A,
      senderIp: '10.0.0.10',
      targetMac: '00:00:00:00:00:00',
      targetIp: '10.0.0.11',
    }),
  }),
  ...PACKETS.map((p, i) =>
    ethernetFrame({
      dst: i % 2 ? B : '33:33:ff:00:00:0b',
      src: A,
      etherType: p[0]! >> 4 === 4 ? 0x0800 : 0x86dd,
      payload: p,
      ...(i === 2 ? { vlanId: 5 } : {}),
    }),
  ),
];

/** A seed frame, truncated and with a few bytes overwritten. */
function corrupted(seeds: Buffer[]): fc.Arbitrary<Buffer> {
  return fc
    .record({
      i: fc.nat(seeds.length - 1),
      cut: fc.nat(),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    })
    .map(({ i, cut, edits }) => {
      const s = seeds[i]!;
      const b = Buffer.from(s.subarray(0, s.length - (cut % (s.length + 1))));
      for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
      return b;
    });
}

const anyBytes = fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u));
const frames = fc.oneof(anyBytes, corrupted(FRAMES));
const packets = fc.oneof(anyBytes, corrupted(PACKETS));

describe('parsers never throw', () => {
  it('on random, truncated and corrupted bytes at any offset', () => {
    fc.assert(
      fc.property(fc.oneof(frames, packets), fc.nat(64), (b, o) => {
        etherTypeOffset(b);
        parseEthernet(b);
        parseArp(b, o);
        parseIpv4Header(b, o);
        parseIpv6Header(b, o);
        parseNeighborMessage(b, o, b.length);
        parseTcp(b, o);
        tcpMssOffset(b, o, b.length);
        parseUdp(b, o);
        parseIcmp(b, o);
        parseDhcpAck(b, o, b.length);
        const c = new MssClamper();
        c.clampFrame(b);
        c.clampIp(b, o);
      }),
      RUNS,
    );
  });
});

describe('engines never throw and keep their invariants', () => {
  it('L2Switch: split horizon, suppression only on the device side', () => {
    const s = new L2Switch({ storm: { pps: 1000, burst: 50 } });
    s.addPeer('p1');
    s.addPeer('p2');
    s.setRemoteBindings('p1', [{ mac: B, ips: ['10.0.0.11', 'fd00::b'], seq: 0 }]);
    const ports = fc.constantFrom('local', 'p1', 'p2', 'nobody');
    let t = 0;
    fc.assert(
      fc.property(ports, frames, (port, f) => {
        t += 3;
        const d = s.process(port, f, t);
        if (port !== 'local') expect(d.toPeers).toEqual([]);
        if (d.drop !== null) expect(d.toLocal || d.toPeers.length > 0).toBe(false);
        if (d.inject !== null) {
          expect(port).toBe('local');
          expect(['arp-suppressed', 'nd-suppressed']).toContain(d.drop);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('L3Router: never transit between peers', () => {
    const r = new L3Router({ icmpSource4: '10.0.0.1', icmpSource6: 'fd00::1', checkSource: false });
    r.addPeer('p1');
    r.addPeer('p2');
    r.routes.upsert({ prefix: '10.0.0.0/24', owner: 'p1', seq: 0, kind: 'subnet' });
    r.routes.upsert({ prefix: '10.0.0.10/32', owner: 'local', seq: 0, kind: 'node' });
    r.routes.upsert({ prefix: 'fd00::/64', owner: 'p2', seq: 0, kind: 'subnet' });
    fc.assert(
      fc.property(fc.constantFrom('local', 'p1', 'p2', 'x'), packets, (port, p) => {
        const d = r.process(port, p, 0);
        if (port !== 'local') expect(d.action).not.toBe('peer');
        if (d.action === 'drop') expect(d.drop).not.toBeNull();
      }),
      { numRuns: 2000 },
    );
  });
});

describe('checksums and MSS clamping', () => {
  it('the RFC 1624 update equals a full recomputation', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 2, maxLength: 64 }),
        fc.nat(),
        fc.integer({ min: 0, max: 0xffff }),
        (u, at, w) => {
          const b = Buffer.from(u.length % 2 ? [...u, 0] : u);
          const pos = (at % (b.length / 2)) * 2;
          const before = internetChecksum(b, 0, b.length);
          const old = b.readUInt16BE(pos);
          b.writeUInt16BE(w, pos);
          const full = internetChecksum(b, 0, b.length);
          const inc = updateChecksum16(before, old, w);
          // 0x0000 and 0xffff are the same value in one's complement.
          expect(inc === full || (inc ^ full) === 0xffff).toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('a clamped SYN always carries a valid checksum and the limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(fc.constant(1), { maxLength: 7 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.boolean(),
        (mss, nops, payload, six) => {
          const seg = tcpSegment({
            srcPort: 9,
            dstPort: 80,
            flags: 2,
            mss,
            leadingOptions: new Uint8Array(nops),
            payload,
          });
          const p = six ? v6(6, seg) : v4(6, seg);
          const l4 = six ? 40 : 20;
          const changed = new MssClamper({ ipv4: 1240, ipv6: 1220 }).clampIp(p);
          const limit = six ? 1220 : 1240;
          expect(changed).toBe(mss > limit);
          expect(parseTcp(p, l4)!.mss).toBe(Math.min(mss, limit));
          const ok = six
            ? verifyTransport6(p, 0, l4, p.length - l4, 6)
            : verifyTransport4(p, 0, l4, p.length - l4, 6);
          expect(ok).toBe(true);
        },
      ),
      RUNS,
    );
  });
});

describe('addresses and route lookup', () => {
  it('IPv6 text round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (a) => {
        expect([...parseIpv6(ipv6ToString(a))!]).toEqual([...a]);
      }),
      RUNS,
    );
  });

  it('LPM equals a linear scan over all routes (IPv4)', () => {
    const route = fc.record({
      addr: fc.integer({ min: 0, max: 0xffff_ffff }),
      len: fc.constantFrom(0, 8, 16, 20, 24, 31, 32),
      seq: fc.nat(3),
      owner: fc.constantFrom('a', 'b', 'c'),
    });
    fc.assert(
      fc.property(
        fc.array(route, { maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 20 }),
        (routes, probes) => {
          const t = new RouteTable();
          const mask = (l: number) => (l === 0 ? 0 : (0xffff_ffff << (32 - l)) >>> 0);
          const text = (x: number) => `${x >>> 24}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`;
          const kept = new Map<string, { net: number; len: number; seq: number; owner: string }>();
          for (const r of routes) {
            const net = (r.addr & mask(r.len)) >>> 0;
            t.upsert({ prefix: `${text(net)}/${r.len}`, owner: r.owner, seq: r.seq, kind: 'subnet' });
            kept.set(`${net}/${r.len}/${r.owner}`, { net, len: r.len, seq: r.seq, owner: r.owner });
          }
          // Probe the routes' own addresses too, so matches are common.
          for (const x of [...probes, ...routes.map((r) => r.addr)]) {
            let best: { net: number; len: number; seq: number; owner: string } | undefined;
            for (const c of kept.values()) {
              if ((x & mask(c.len)) >>> 0 !== c.net) continue;
              if (
                best === undefined ||
                c.len > best.len ||
                // Subnets several routers advertise: a stable order (smallest owner), whatever the seq.
                (c.len === best.len && c.owner < best.owner)
              ) {
                best = c;
              }
            }
            expect(t.lookup4(x)?.owner).toBe(best?.owner);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
