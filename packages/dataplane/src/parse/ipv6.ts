import { u16 } from '../bytes.js';

export const IPV6_HEADER_LEN = 40;
/** Extension headers walked before giving up (a longer chain is treated as malformed). */
export const MAX_IPV6_EXT_HEADERS = 8;

const NH_HOP_BY_HOP = 0;
const NH_ROUTING = 43;
const NH_FRAGMENT = 44;
const NH_AH = 51;
const NH_NONE = 59;
const NH_DEST_OPTS = 60;
const NH_MOBILITY = 135;
const NH_HIP = 139;
const NH_SHIM6 = 140;

/** Where the upper-layer header of an IPv6 packet is. Filled in place (no allocation per packet). */
export interface Ipv6Upper {
  /** Upper-layer protocol (6 TCP, 17 UDP, 58 ICMPv6, 59 none, ...). */
  proto: number;
  /** Offset of the upper-layer header. */
  offset: number;
  /** End of the IPv6 packet (40 + payload length). */
  end: number;
  /** True for a fragment whose offset is not zero: the upper-layer header is not in this packet. */
  nonFirstFragment: boolean;
  /** True when a fragment header was present. */
  fragmented: boolean;
}

export function newIpv6Upper(): Ipv6Upper {
  return { proto: NH_NONE, offset: 0, end: 0, nonFirstFragment: false, fragmented: false };
}

/**
 * Validates the IPv6 header at b[off] and walks its extension headers into `out`. Returns false when
 * the packet is malformed: truncated, version not 6, payload length beyond the bytes present, an
 * extension header running past the end, or more than MAX_IPV6_EXT_HEADERS of them.
 */
export function walkIpv6(b: Uint8Array, off: number, end: number, out: Ipv6Upper): boolean {
  if (end - off < IPV6_HEADER_LEN || b[off]! >>> 4 !== 6) return false;
  const pktEnd = off + IPV6_HEADER_LEN + u16(b, off + 4);
  if (pktEnd > end) return false;
  let nh = b[off + 6]!;
  let p = off + IPV6_HEADER_LEN;
  out.fragmented = false;
  out.nonFirstFragment = false;
  for (let n = 0; n <= MAX_IPV6_EXT_HEADERS; n++) {
    switch (nh) {
      case NH_HOP_BY_HOP:
      case NH_ROUTING:
      case NH_DEST_OPTS:
      case NH_MOBILITY:
      case NH_HIP:
      case NH_SHIM6: {
        if (p + 8 > pktEnd) return false;
        const next = b[p]!;
        p += (b[p + 1]! + 1) * 8;
        nh = next;
        break;
      }
      case NH_AH: {
        if (p + 8 > pktEnd) return false;
        const next = b[p]!;
        p += (b[p + 1]! + 2) * 4;
        nh = next;
        break;
      }
      case NH_FRAGMENT: {
        if (p + 8 > pktEnd) return false;
        out.fragmented = true;
        if ((u16(b, p + 2) & 0xfff8) !== 0) out.nonFirstFragment = true;
        nh = b[p]!;
        p += 8;
        break;
      }
      default:
        if (p > pktEnd) return false;
        out.proto = nh;
        out.offset = p;
        out.end = pktEnd;
        return true;
    }
    if (p > pktEnd) return false;
    if (out.nonFirstFragment) {
      out.proto = nh;
      out.offset = p;
      out.end = pktEnd;
      return true;
    }
  }
  return false;
}

export interface Ipv6Header {
  readonly payloadLength: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  /** Offset of the source address (16 bytes); the destination follows at +16. */
  readonly srcOffset: number;
  readonly upperProtocol: number;
  readonly upperOffset: number;
  readonly end: number;
  readonly fragmented: boolean;
  readonly nonFirstFragment: boolean;
}

/** Convenience parser (allocates). Null when malformed (see walkIpv6). */
export function parseIpv6Header(b: Uint8Array, off: number, end: number = b.length): Ipv6Header | null {
  const u = newIpv6Upper();
  if (!walkIpv6(b, off, end, u)) return null;
  return {
    payloadLength: u16(b, off + 4),
    nextHeader: b[off + 6]!,
    hopLimit: b[off + 7]!,
    srcOffset: off + 8,
    upperProtocol: u.proto,
    upperOffset: u.offset,
    end: u.end,
    fragmented: u.fragmented,
    nonFirstFragment: u.nonFirstFragment,
  };
}
