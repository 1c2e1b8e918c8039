// fast-check arbitraries of the frames and packets the engines see, shared by the engines' fuzz test,
// the agent's forwarders' fuzz test (@rtcmesh/dataplane/testing) and the fuzz bench
// (bench/fuzz/frame-phase.ts). Test support only: nothing at run time imports it.
import fc from 'fast-check';
import { ipv4ToString, ipv6ToString, parsePrefix } from '../addr/ip.js';
import {
  arpPacket,
  ethernetFrame,
  icmpEcho,
  ipv4Packet,
  ipv6Packet,
  neighborSolicitation,
  tcpSegment,
  udpDatagram,
} from '../builders/frames.js';

export interface FrameArbitraryOptions {
  /** Unicast MACs drawn from 02:00:00:00:xx:xx below this (a small pool makes sources collide and move). */
  macPool: number;
  /** Addresses drawn from the first `hostPool` of `v4Hosts` / `v6Hosts`, besides any address at all. */
  hostPool: number;
  /** The IPv4 prefix the pool's addresses are in (a forwarder's network); default 10.0.0.0/16. */
  v4Hosts?: string;
  /** The IPv6 prefix the pool's addresses are in; default fd00::/64. */
  v6Hosts?: string;
}

/** The `n`th address of `prefix` (its network address plus n, carried into the last 32 bits). */
function nthHost(prefix: string, n: number): string {
  const p = parsePrefix(prefix);
  if (!p) throw new Error(`not a prefix: ${prefix}`);
  const b = Uint8Array.from(p.bytes);
  const at = b.length - 4;
  const low = (((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) + n) >>> 0;
  b.set([low >>> 24, (low >>> 16) & 255, (low >>> 8) & 255, low & 255], at);
  return p.family === 4 ? ipv4ToString(low) : ipv6ToString(b);
}

/** Truncated and with a few bytes overwritten (corrupt input built from valid input). */
export function mutated(base: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc
    .record({
      b: base,
      cut: fc.nat(),
      edits: fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }),
    })
    .map(({ b, cut, edits }) => {
      const out = Buffer.from(b.subarray(0, b.length - (cut % (b.length + 1))));
      for (const [at, v] of edits) if (out.length > 0) out[at % out.length] = v;
      return out;
    });
}

/** A DHCP (BOOTP) ACK giving `yourIp` to `clientMac`, the kind the L2 switch learns from. */
export function bootReply(clientMac: number, yourIp: number): Buffer {
  const b = Buffer.alloc(244);
  b.set([2, 1, 6]);
  b.writeUInt32BE(yourIp >>> 0, 16);
  b.writeUIntBE(clientMac, 28, 6);
  b.writeUInt32BE(0x63825363, 236);
  b.set([53, 1, 5, 255], 240);
  return b;
}

/** MACs, addresses, IP packets of every kind the engines look into, and Ethernet frames around them. */
export function frameArbitraries(o: FrameArbitraryOptions) {
  const hex = (n: number) => (n & 255).toString(16).padStart(2, '0');
  const macPool = fc.nat(o.macPool - 1).map((n) => `02:00:00:00:${hex(n >> 8)}:${hex(n)}`);
  const anyMac = fc.oneof(
    macPool,
    fc.constantFrom('ff:ff:ff:ff:ff:ff', '33:33:00:00:00:01', '01:80:c2:00:00:00', '01:00:5e:00:00:01'),
  );
  const v4Addr = fc.oneof(
    fc.nat(o.hostPool - 1).map((n) => nthHost(o.v4Hosts ?? '10.0.0.0/16', n)),
    fc.ipV4(),
  );
  const v6Addr = fc.oneof(
    fc.nat(o.hostPool - 1).map((n) => nthHost(o.v6Hosts ?? 'fd00::/64', n)),
    fc.ipV6(),
  );
  /** Valid packets (corruption comes on top, from the caller). */
  const ipPacket = fc.oneof(
    fc
      .record({
        src: v4Addr,
        dst: v4Addr,
        ttl: fc.nat(3),
        proto: fc.constantFrom(1, 6, 17),
        mss: fc.nat(0xffff),
      })
      .map(({ src, dst, ttl, proto, mss }) =>
        ipv4Packet({
          src,
          dst,
          protocol: proto,
          ttl,
          payload:
            proto === 6
              ? tcpSegment({ srcPort: 1000, dstPort: 80, flags: 2, mss })
              : proto === 17
                ? udpDatagram(68, 67, bootReply(0x0200_0000_0001, 0x0a00_0005))
                : icmpEcho(1, 1),
        }),
      ),
    fc
      .record({
        src: v6Addr,
        dst: v6Addr,
        hop: fc.constantFrom(0, 1, 64, 255),
        kind: fc.nat(2),
        mss: fc.nat(0xffff),
      })
      .map(({ src, dst, hop, kind, mss }) =>
        ipv6Packet({
          src,
          dst,
          hopLimit: hop,
          nextHeader: kind === 0 ? 6 : kind === 1 ? 58 : 17,
          payload:
            kind === 0
              ? tcpSegment({ srcPort: 1000, dstPort: 443, flags: 2, mss })
              : kind === 1
                ? neighborSolicitation(dst, '02:00:00:00:00:01')
                : udpDatagram(546, 547, Buffer.alloc(8)),
        }),
      ),
  );
  const ethFrame = fc
    .record({
      dst: anyMac,
      src: anyMac,
      vlan: fc.option(fc.nat(4095), { nil: undefined }),
      body: fc.oneof(
        ipPacket.map((p) => ({ etherType: p[0]! >> 4 === 4 ? 0x0800 : 0x86dd, payload: p })),
        fc
          .record({ op: fc.constantFrom(1, 2), sender: macPool, sip: v4Addr, tip: v4Addr })
          .map(({ op, sender, sip, tip }) => ({
            etherType: 0x0806,
            payload: arpPacket({
              op,
              senderMac: sender,
              senderIp: sip,
              targetMac: '00:00:00:00:00:00',
              targetIp: tip,
            }),
          })),
        fc
          .record({ etherType: fc.nat(0xffff), payload: fc.uint8Array({ maxLength: 64 }) })
          .map((r) => ({ etherType: r.etherType, payload: Buffer.from(r.payload) })),
      ),
    })
    .map(({ dst, src, vlan, body }) =>
      ethernetFrame({
        dst,
        src,
        etherType: body.etherType,
        payload: body.payload,
        ...(vlan === undefined ? {} : { vlanId: vlan }),
      }),
    );
  return { macPool, anyMac, v4Addr, v6Addr, ipPacket, ethFrame };
}
