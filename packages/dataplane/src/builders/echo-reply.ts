// Echo replies for tests that play a remote host behind a fake peer (e.g. the TAP end-to-end test:
// the kernel pings a remote address, the engine forwards the request to "the peer", and the test
// answers with this).

import { put16 } from '../bytes.js';
import { internetChecksum, ipv4HeaderChecksum, transportChecksum6 } from '../checksum.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, etherTypeOffset } from '../parse/ethernet.js';
import { ipv4PacketLength, PROTO_ICMP, PROTO_ICMPV6 } from '../parse/ipv4.js';
import { newIpv6Upper, walkIpv6 } from '../parse/ipv6.js';

/**
 * The echo reply to an ICMP echo request (IPv4 type 8) or ICMPv6 echo request (type 128) in an IP
 * packet at b[ipOff]: addresses swapped, type changed, checksums recomputed, TTL 64. Null when the
 * packet is not an echo request.
 */
export function echoReplyPacket(b: Uint8Array, ipOff = 0): Buffer | null {
  const version = b.length > ipOff ? b[ipOff]! >>> 4 : 0;
  if (version === 4) {
    const total = ipv4PacketLength(b, ipOff);
    if (total < 0 || b[ipOff + 9] !== PROTO_ICMP) return null;
    const hl = (b[ipOff]! & 0x0f) * 4;
    if (total < hl + 8 || b[ipOff + hl] !== 8) return null;
    const out = Buffer.from(b.subarray(ipOff, ipOff + total));
    out.set(b.subarray(ipOff + 16, ipOff + 20), 12);
    out.set(b.subarray(ipOff + 12, ipOff + 16), 16);
    out[8] = 64;
    put16(out, 10, ipv4HeaderChecksum(out, 0));
    out[hl] = 0;
    put16(out, hl + 2, 0);
    put16(out, hl + 2, internetChecksum(out, hl, total));
    return out;
  }
  if (version === 6) {
    const u = newIpv6Upper();
    if (!walkIpv6(b, ipOff, b.length, u) || u.proto !== PROTO_ICMPV6 || u.fragmented) return null;
    if (u.end - u.offset < 8 || b[u.offset] !== 128) return null;
    const out = Buffer.from(b.subarray(ipOff, u.end));
    out.set(b.subarray(ipOff + 24, ipOff + 40), 8);
    out.set(b.subarray(ipOff + 8, ipOff + 24), 24);
    out[7] = 64;
    const icmp = u.offset - ipOff;
    out[icmp] = 129;
    put16(out, icmp + 2, 0);
    put16(out, icmp + 2, transportChecksum6(out, 0, icmp, out.length - icmp, PROTO_ICMPV6));
    return out;
  }
  return null;
}

/** The same for an Ethernet frame (MACs swapped, VLAN tags kept). */
export function echoReplyFrame(frame: Uint8Array): Buffer | null {
  const t = etherTypeOffset(frame);
  if (t < 0) return null;
  const et = (frame[t]! << 8) | frame[t + 1]!;
  if (et !== ETHERTYPE_IPV4 && et !== ETHERTYPE_IPV6) return null;
  const ip = echoReplyPacket(frame, t + 2);
  if (ip === null) return null;
  const out = Buffer.alloc(t + 2 + ip.length);
  out.set(frame.subarray(6, 12), 0);
  out.set(frame.subarray(0, 6), 6);
  out.set(frame.subarray(12, t + 2), 12);
  out.set(ip, t + 2);
  return out;
}
