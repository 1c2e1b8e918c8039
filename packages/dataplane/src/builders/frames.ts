// Frame and packet builders from readable fields, for tests, tools and the TAP end-to-end test.
// They allocate and throw on bad arguments: not for the forwarding path.

import { parseIpv4, parseIpv6 } from '../addr/ip.js';
import { parseMac, writeMac } from '../addr/mac.js';
import { put16, put32 } from '../bytes.js';
import { ipv4HeaderChecksum, transportChecksum4, transportChecksum6 } from '../checksum.js';
import { ETHERTYPE_VLAN } from '../parse/ethernet.js';
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from '../parse/ipv4.js';

function mac(s: string): number {
  const m = parseMac(s);
  if (m === null) throw new Error(`bad MAC ${s}`);
  return m;
}
function v4(s: string): number {
  const a = parseIpv4(s);
  if (a === null) throw new Error(`bad IPv4 address ${s}`);
  return a;
}
function v6(s: string): Uint8Array {
  const a = parseIpv6(s);
  if (a === null) throw new Error(`bad IPv6 address ${s}`);
  return a;
}

export interface EthernetFields {
  dst: string;
  src: string;
  etherType: number;
  payload: Uint8Array;
  /** Adds one 802.1Q tag with this VLAN id (priority 0). */
  vlanId?: number;
}

export function ethernetFrame(f: EthernetFields): Buffer {
  const tag = f.vlanId === undefined ? 0 : 4;
  const out = Buffer.alloc(14 + tag + f.payload.length);
  writeMac(out, 0, mac(f.dst));
  writeMac(out, 6, mac(f.src));
  if (f.vlanId !== undefined) {
    put16(out, 12, ETHERTYPE_VLAN);
    put16(out, 14, f.vlanId & 0x0fff);
  }
  put16(out, 12 + tag, f.etherType);
  out.set(f.payload, 14 + tag);
  return out;
}

export interface ArpFields {
  op: 1 | 2;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export function arpPacket(f: ArpFields): Buffer {
  const out = Buffer.alloc(28);
  put16(out, 0, 1);
  put16(out, 2, 0x0800);
  out[4] = 6;
  out[5] = 4;
  put16(out, 6, f.op);
  writeMac(out, 8, mac(f.senderMac));
  put32(out, 14, v4(f.senderIp));
  writeMac(out, 18, mac(f.targetMac));
  put32(out, 24, v4(f.targetIp));
  return out;
}

/** Offset of the checksum field inside a transport header, or -1 when the builder leaves it alone. */
function checksumField(proto: number): number {
  if (proto === PROTO_TCP) return 16;
  if (proto === PROTO_UDP) return 6;
  if (proto === PROTO_ICMP || proto === PROTO_ICMPV6) return 2;
  return -1;
}

export interface Ipv4Fields {
  src: string;
  dst: string;
  protocol: number;
  payload: Uint8Array;
  ttl?: number;
  id?: number;
  /** Fragment offset in bytes (multiple of 8). */
  fragmentOffset?: number;
  moreFragments?: boolean;
}

/** IPv4 packet with a valid header checksum and, for TCP/UDP/ICMP, a valid transport checksum. */
export function ipv4Packet(f: Ipv4Fields): Buffer {
  const out = Buffer.alloc(20 + f.payload.length);
  out[0] = 0x45;
  put16(out, 2, out.length);
  put16(out, 4, f.id ?? 0);
  put16(out, 6, ((f.fragmentOffset ?? 0) >>> 3) | (f.moreFragments ? 0x2000 : 0));
  out[8] = f.ttl ?? 64;
  out[9] = f.protocol;
  put32(out, 12, v4(f.src));
  put32(out, 16, v4(f.dst));
  out.set(f.payload, 20);
  put16(out, 10, ipv4HeaderChecksum(out, 0));
  const field = checksumField(f.protocol);
  if (field >= 0 && (f.fragmentOffset ?? 0) === 0 && f.payload.length >= field + 2) {
    put16(out, 20 + field, 0);
    const sum =
      f.protocol === PROTO_ICMP
        ? transportChecksumIcmp4(out)
        : transportChecksum4(out, 0, 20, f.payload.length, f.protocol);
    put16(out, 20 + field, f.protocol === PROTO_UDP && sum === 0 ? 0xffff : sum);
  }
  return out;
}

function transportChecksumIcmp4(pkt: Buffer): number {
  // ICMPv4 has no pseudo header.
  let sum = 0;
  for (let i = 20; i + 1 < pkt.length; i += 2) sum += (pkt[i]! << 8) | pkt[i + 1]!;
  if ((pkt.length - 20) % 2 === 1) sum += pkt[pkt.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Ipv6Fields {
  src: string;
  dst: string;
  nextHeader: number;
  payload: Uint8Array;
  hopLimit?: number;
  /** Raw extension headers placed before the payload; nextHeader is then the first one's type and
   *  upperProtocol the payload's protocol (used for its checksum). */
  extensionHeaders?: Uint8Array;
  upperProtocol?: number;
}

/** IPv6 packet with a valid TCP/UDP/ICMPv6 checksum. */
export function ipv6Packet(f: Ipv6Fields): Buffer {
  const ext = f.extensionHeaders ?? new Uint8Array(0);
  const out = Buffer.alloc(40 + ext.length + f.payload.length);
  put32(out, 0, 0x6000_0000);
  put16(out, 4, ext.length + f.payload.length);
  out[6] = f.nextHeader;
  out[7] = f.hopLimit ?? 64;
  out.set(v6(f.src), 8);
  out.set(v6(f.dst), 24);
  out.set(ext, 40);
  const l4 = 40 + ext.length;
  out.set(f.payload, l4);
  const proto = f.upperProtocol ?? f.nextHeader;
  const field = checksumField(proto);
  if (field >= 0 && f.payload.length >= field + 2) {
    put16(out, l4 + field, 0);
    const sum = transportChecksum6(out, 0, l4, f.payload.length, proto);
    put16(out, l4 + field, proto === PROTO_UDP && sum === 0 ? 0xffff : sum);
  }
  return out;
}

export interface TcpFields {
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  /** Flag bits, e.g. 0x02 SYN, 0x12 SYN-ACK. */
  flags: number;
  window?: number;
  /** Adds an MSS option (kind 2). */
  mss?: number;
  /** Raw option bytes placed before the MSS option (to test alignment). */
  leadingOptions?: Uint8Array;
  payload?: Uint8Array;
}

/** TCP header (+ payload) with checksum zero: ipv4Packet/ipv6Packet fill it in. */
export function tcpSegment(f: TcpFields): Buffer {
  const lead = f.leadingOptions ?? new Uint8Array(0);
  let optLen = lead.length + (f.mss === undefined ? 0 : 4);
  optLen = (optLen + 3) & ~3;
  const payload = f.payload ?? new Uint8Array(0);
  const out = Buffer.alloc(20 + optLen + payload.length);
  put16(out, 0, f.srcPort);
  put16(out, 2, f.dstPort);
  put32(out, 4, f.seq ?? 1000);
  put32(out, 8, f.ack ?? 0);
  out[12] = ((20 + optLen) / 4) << 4;
  out[13] = f.flags;
  put16(out, 14, f.window ?? 64240);
  out.set(lead, 20);
  if (f.mss !== undefined) {
    const p = 20 + lead.length;
    out[p] = 2;
    out[p + 1] = 4;
    put16(out, p + 2, f.mss);
  }
  // Remaining option bytes stay 0 = end of option list.
  out.set(payload, 20 + optLen);
  return out;
}

export function udpDatagram(srcPort: number, dstPort: number, payload: Uint8Array): Buffer {
  const out = Buffer.alloc(8 + payload.length);
  put16(out, 0, srcPort);
  put16(out, 2, dstPort);
  put16(out, 4, out.length);
  out.set(payload, 8);
  return out;
}

/** ICMPv6 neighbour solicitation body for `target`, with a source link-layer address option. */
export function neighborSolicitation(target: string, sourceMac?: string): Buffer {
  const out = Buffer.alloc(24 + (sourceMac === undefined ? 0 : 8));
  out[0] = 135;
  out.set(v6(target), 8);
  if (sourceMac !== undefined) {
    out[24] = 1;
    out[25] = 1;
    writeMac(out, 26, mac(sourceMac));
  }
  return out;
}

/** ICMPv6 neighbour advertisement body (flags R=0x80, S=0x40, O=0x20) with a target LLA option. */
export function neighborAdvertisement(target: string, targetMac: string, flags: number): Buffer {
  const out = Buffer.alloc(32);
  out[0] = 136;
  out[4] = flags;
  out.set(v6(target), 8);
  out[24] = 2;
  out[25] = 1;
  writeMac(out, 26, mac(targetMac));
  return out;
}

/** ICMP(v4) echo request body. */
export function icmpEcho(id: number, seq: number, data: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.alloc(8 + data.length);
  out[0] = 8;
  put16(out, 4, id);
  put16(out, 6, seq);
  out.set(data, 8);
  return out;
}

/** Solicited-node multicast address ff02::1:ffXX:XXXX of an IPv6 address. */
export function solicitedNodeAddress(addr: string): string {
  const a = v6(addr);
  const h = (x: number) => x.toString(16).padStart(2, '0');
  return `ff02::1:ff${h(a[13]!)}:${h(a[14]!)}${h(a[15]!)}`;
}

/** Ethernet multicast MAC 33:33:xx:xx:xx:xx of an IPv6 multicast address. */
export function ipv6MulticastMac(addr: string): string {
  const a = v6(addr);
  const h = (x: number) => x.toString(16).padStart(2, '0');
  return `33:33:${h(a[12]!)}:${h(a[13]!)}:${h(a[14]!)}:${h(a[15]!)}`;
}
