// Frames the engines write back to the local device: ARP replies and neighbour advertisements for
// suppression, ICMP/ICMPv6 destination unreachable for the router. Each returns a fresh Buffer.

import { type MacNumber, writeMac } from '../addr/mac.js';
import { put16, put32 } from '../bytes.js';
import { internetChecksum, ipv4HeaderChecksum, transportChecksum6 } from '../checksum.js';
import { ARP_LEN, ARP_OP_REPLY } from '../parse/arp.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV6 } from '../parse/ethernet.js';
import { PROTO_ICMP, PROTO_ICMPV6 } from '../parse/ipv4.js';
import { ICMPV6_DEST_UNREACHABLE, ICMPV6_NEIGHBOR_ADVERT, NDP_OPT_TARGET_LLA } from '../parse/ndp.js';

/** Bytes of the offending packet quoted in an ICMPv4 error: RFC 1812 §4.3.2.3, 576-byte datagram. */
export const ICMP4_QUOTE_MAX = 576 - 20 - 8;
/** Bytes quoted in an ICMPv6 error: RFC 4443 §2.4(c), fit the 1280 minimum MTU. */
export const ICMP6_QUOTE_MAX = 1280 - 40 - 8;

/**
 * ARP reply to the ARP request in `request` (EtherType field at typeOff, after any VLAN tags, which the
 * reply copies): "targetIp is at answerMac", unicast to the requester. 42 bytes untagged (no padding:
 * a TAP carries short frames; a NIC pads them).
 */
export function buildArpReplyTo(request: Uint8Array, typeOff: number, answerMac: MacNumber): Buffer {
  const arp = typeOff + 2;
  const out = Buffer.allocUnsafe(arp + ARP_LEN);
  out.set(request.subarray(6, 12), 0); // Ethernet dst = requester's Ethernet src
  writeMac(out, 6, answerMac);
  out.set(request.subarray(12, typeOff), 12); // VLAN tags, if any
  put16(out, typeOff, ETHERTYPE_ARP);
  put16(out, arp, 1); // htype Ethernet
  put16(out, arp + 2, 0x0800); // ptype IPv4
  out[arp + 4] = 6;
  out[arp + 5] = 4;
  put16(out, arp + 6, ARP_OP_REPLY);
  writeMac(out, arp + 8, answerMac); // sender MAC: the answer
  out.set(request.subarray(arp + 24, arp + 28), arp + 14); // sender IP: the requested target IP
  out.set(request.subarray(arp + 8, arp + 18), arp + 18); // target MAC + IP: the requester's sender pair
  return out;
}

/**
 * Solicited neighbour advertisement (RFC 4861 §4.4) answering the NS in `ns`: IPv6 source = the
 * target address, destination = the NS source, hop limit 255, flags S and O (and R when the target is a
 * router, as the Linux bridge's ND suppression does), a target link-layer address option, valid
 * ICMPv6 checksum. VLAN tags are copied. 86 bytes untagged.
 */
export function buildNeighborAdvertTo(
  ns: Uint8Array,
  typeOff: number,
  nsIpOff: number,
  targetOffset: number,
  answerMac: MacNumber,
  router = false,
): Buffer {
  const ip = typeOff + 2;
  const icmp = ip + 40;
  const out = Buffer.alloc(icmp + 32);
  out.set(ns.subarray(6, 12), 0);
  writeMac(out, 6, answerMac);
  out.set(ns.subarray(12, typeOff), 12);
  put16(out, typeOff, ETHERTYPE_IPV6);
  put32(out, ip, 0x6000_0000);
  put16(out, ip + 4, 32);
  out[ip + 6] = PROTO_ICMPV6;
  out[ip + 7] = 255;
  out.set(ns.subarray(targetOffset, targetOffset + 16), ip + 8); // src = target
  out.set(ns.subarray(nsIpOff + 8, nsIpOff + 24), ip + 24); // dst = NS source
  out[icmp] = ICMPV6_NEIGHBOR_ADVERT;
  out[icmp + 1] = 0;
  out[icmp + 4] = (router ? 0x80 : 0) | 0x40 | 0x20;
  out.set(ns.subarray(targetOffset, targetOffset + 16), icmp + 8);
  out[icmp + 24] = NDP_OPT_TARGET_LLA;
  out[icmp + 25] = 1;
  writeMac(out, icmp + 26, answerMac);
  put16(out, icmp + 2, transportChecksum6(out, ip, icmp, 32, PROTO_ICMPV6));
  return out;
}

/**
 * ICMPv4 destination unreachable (type 3) from `src` to the source of the IPv4 packet b[ipOff, ipEnd),
 * quoting as much of it as fits in 576 bytes. Returns a raw IPv4 packet (for a TUN device).
 */
export function buildIcmp4Unreachable(
  b: Uint8Array,
  ipOff: number,
  ipEnd: number,
  src: number,
  code: number,
): Buffer {
  const quote = Math.min(ipEnd - ipOff, ICMP4_QUOTE_MAX);
  const out = Buffer.alloc(28 + quote);
  out[0] = 0x45;
  out[1] = 0xc0; // precedence "internetwork control", as Linux sends ICMP errors
  put16(out, 2, out.length);
  out[8] = 64;
  out[9] = PROTO_ICMP;
  put32(out, 12, src);
  out.set(b.subarray(ipOff + 12, ipOff + 16), 16);
  put16(out, 10, ipv4HeaderChecksum(out, 0));
  out[20] = 3;
  out[21] = code;
  out.set(b.subarray(ipOff, ipOff + quote), 28);
  put16(out, 22, internetChecksum(out, 20, out.length));
  return out;
}

/**
 * ICMPv6 destination unreachable (type 1) from `src` (16 bytes) to the source of the IPv6 packet
 * b[ipOff, ipEnd), quoting as much as fits in 1280 bytes. Returns a raw IPv6 packet.
 */
export function buildIcmp6Unreachable(
  b: Uint8Array,
  ipOff: number,
  ipEnd: number,
  src: Uint8Array,
  code: number,
): Buffer {
  const quote = Math.min(ipEnd - ipOff, ICMP6_QUOTE_MAX);
  const out = Buffer.alloc(48 + quote);
  put32(out, 0, 0x6000_0000);
  put16(out, 4, 8 + quote);
  out[6] = PROTO_ICMPV6;
  out[7] = 64;
  out.set(src.subarray(0, 16), 8);
  out.set(b.subarray(ipOff + 8, ipOff + 24), 24);
  out[40] = ICMPV6_DEST_UNREACHABLE;
  out[41] = code;
  out.set(b.subarray(ipOff, ipOff + quote), 48);
  put16(out, 42, transportChecksum6(out, 0, 40, 8 + quote, PROTO_ICMPV6));
  return out;
}
