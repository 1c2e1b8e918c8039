import { newIpv6Upper, walkIpv6 } from '@rtcmesh/dataplane';

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;
export const PROTO_SCTP = 132;

/** The fields the policy looks at, filled in place (one instance per evaluator: no allocation per packet). */
export interface L3Fields {
  family: 4 | 6;
  proto: number;
  /** Offsets of the source and destination address in the packet (4 or 16 bytes each). */
  srcOff: number;
  dstOff: number;
  /** -1 when the protocol has no ports or this is a non-first fragment. */
  srcPort: number;
  dstPort: number;
  /** ICMP/ICMPv6 type and the 16-bit echo identifier (bytes 4-5); -1 when not ICMP. */
  icmpType: number;
  icmpId: number;
  tcpFlags: number;
  /** A fragment after the first: no transport header, ports unknown. */
  laterFragment: boolean;
  /** Offset of the transport header (for ICMP errors: where the quoted packet starts is +8). */
  transportOff: number;
  end: number;
}

export function newL3Fields(): L3Fields {
  return {
    family: 4,
    proto: 0,
    srcOff: 0,
    dstOff: 0,
    srcPort: -1,
    dstPort: -1,
    icmpType: -1,
    icmpId: -1,
    tcpFlags: 0,
    laterFragment: false,
    transportOff: 0,
    end: 0,
  };
}

const upper = newIpv6Upper();

function hasPorts(proto: number): boolean {
  return proto === PROTO_TCP || proto === PROTO_UDP || proto === PROTO_SCTP;
}

/**
 * Reads an IPv4/IPv6 packet starting at `off` into `out`. False when it is malformed (bad header,
 * truncated, or a first fragment too short to hold the transport ports): such packets are denied.
 * `quoted`: the packet is the one quoted inside an ICMP error, whose payload may be cut short
 * (only the first 8 transport bytes are guaranteed), so lengths are not checked against the header.
 */
export function parseL3(p: Uint8Array, off: number, end: number, out: L3Fields, quoted = false): boolean {
  if (end - off < 1) return false;
  const version = p[off]! >>> 4;
  out.srcPort = -1;
  out.dstPort = -1;
  out.icmpType = -1;
  out.icmpId = -1;
  out.tcpFlags = 0;
  out.laterFragment = false;
  if (version === 4) {
    if (end - off < 20) return false;
    const hl = (p[off]! & 0x0f) * 4;
    const total = (p[off + 2]! << 8) | p[off + 3]!;
    if (hl < 20 || off + hl > end) return false;
    if (!quoted && (total < hl || off + total > end)) return false;
    out.family = 4;
    out.proto = p[off + 9]!;
    out.srcOff = off + 12;
    out.dstOff = off + 16;
    out.laterFragment = (((p[off + 6]! << 8) | p[off + 7]!) & 0x1fff) !== 0;
    out.transportOff = off + hl;
    out.end = quoted ? end : off + total;
  } else if (version === 6) {
    if (quoted) {
      // The quoted header chain may be cut; only the plain case (no extension headers) is read.
      if (end - off < 40) return false;
      upper.proto = p[off + 6]!;
      upper.offset = off + 40;
      upper.end = end;
      upper.nonFirstFragment = false;
    } else if (!walkIpv6(p, off, end, upper)) return false;
    out.family = 6;
    out.proto = upper.proto;
    out.srcOff = off + 8;
    out.dstOff = off + 24;
    out.laterFragment = upper.nonFirstFragment;
    out.transportOff = upper.offset;
    out.end = upper.end;
  } else return false;
  if (out.laterFragment) return true;
  const t = out.transportOff;
  if (hasPorts(out.proto)) {
    if (out.end - t < (out.proto === PROTO_TCP && !quoted ? 14 : 4)) return false;
    out.srcPort = (p[t]! << 8) | p[t + 1]!;
    out.dstPort = (p[t + 2]! << 8) | p[t + 3]!;
    if (out.proto === PROTO_TCP && out.end - t >= 14) out.tcpFlags = p[t + 13]!;
  } else if (out.proto === (out.family === 4 ? PROTO_ICMP : PROTO_ICMPV6)) {
    if (out.end - t < (quoted ? 6 : 8)) return false;
    out.icmpType = p[t]!;
    out.icmpId = (p[t + 4]! << 8) | p[t + 5]!;
  }
  return true;
}

/** Is this ICMP type an error that quotes the packet that caused it? */
export function isIcmpError(family: 4 | 6, type: number): boolean {
  return family === 4 ? type === 3 || type === 11 || type === 12 : type >= 1 && type <= 4;
}

export function isEchoRequest(family: 4 | 6, type: number): boolean {
  return family === 4 ? type === 8 : type === 128;
}

export function isEchoReply(family: 4 | 6, type: number): boolean {
  return family === 4 ? type === 0 : type === 129;
}
