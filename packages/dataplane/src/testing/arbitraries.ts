// fast-check arbitraries of the frames and packets the engines see, shared by the engines' fuzz test
// and the fuzz bench (bench/fuzz/frame-phase.ts). Test support only: nothing at run time imports it.
import fc from 'fast-check';
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
  /** Addresses drawn from 10.0.x.n / fd00::n below this, besides any address at all. */
  hostPool: number;
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
    fc.nat(o.hostPool - 1).map((n) => `10.0.${(n >> 8) & 255}.${n & 255}`),
    fc.ipV4(),
  );
  const v6Addr = fc.oneof(
    fc.nat(o.hostPool - 1).map((n) => `fd00::${n.toString(16)}`),
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
