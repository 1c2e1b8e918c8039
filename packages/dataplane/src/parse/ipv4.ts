import { u16, u32 } from '../bytes.js';

export const IPV4_MIN_HEADER_LEN = 20;
export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;

export interface Ipv4Header {
  readonly headerLength: number;
  readonly totalLength: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly src: number;
  readonly dst: number;
  /** In bytes. Non-zero means a non-first fragment (no transport header). */
  readonly fragmentOffset: number;
  readonly moreFragments: boolean;
  readonly payloadOffset: number;
  /** End of the IPv4 packet in the buffer (Ethernet padding after it excluded). */
  readonly end: number;
}

/**
 * Length of the valid IPv4 packet at b[off] (its total length), or -1 when it is not one: too short,
 * version not 4, IHL < 5, total length shorter than the header or longer than the bytes present.
 */
export function ipv4PacketLength(b: Uint8Array, off: number, end: number = b.length): number {
  if (end - off < IPV4_MIN_HEADER_LEN) return -1;
  const vihl = b[off]!;
  if (vihl >>> 4 !== 4) return -1;
  const hl = (vihl & 0x0f) * 4;
  const total = u16(b, off + 2);
  if (hl < IPV4_MIN_HEADER_LEN || total < hl || off + total > end) return -1;
  return total;
}

export function parseIpv4Header(b: Uint8Array, off: number, end: number = b.length): Ipv4Header | null {
  const total = ipv4PacketLength(b, off, end);
  if (total < 0) return null;
  const hl = (b[off]! & 0x0f) * 4;
  const frag = u16(b, off + 6);
  return {
    headerLength: hl,
    totalLength: total,
    ttl: b[off + 8]!,
    protocol: b[off + 9]!,
    src: u32(b, off + 12),
    dst: u32(b, off + 16),
    fragmentOffset: (frag & 0x1fff) * 8,
    moreFragments: (frag & 0x2000) !== 0,
    payloadOffset: off + hl,
    end: off + total,
  };
}
