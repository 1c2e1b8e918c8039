import { type MacNumber, macAt } from '../addr/mac.js';

export const ICMPV6_DEST_UNREACHABLE = 1;
export const ICMPV6_ROUTER_SOLICIT = 133;
export const ICMPV6_ROUTER_ADVERT = 134;
export const ICMPV6_NEIGHBOR_SOLICIT = 135;
export const ICMPV6_NEIGHBOR_ADVERT = 136;
export const NDP_OPT_SOURCE_LLA = 1;
export const NDP_OPT_TARGET_LLA = 2;
/** ICMPv6 header (4) + reserved/flags (4) + target address (16). */
export const NDP_NS_NA_LEN = 24;
/** Options walked before giving up. */
const MAX_NDP_OPTIONS = 16;

export interface NeighborMessage {
  /** 135 (NS) or 136 (NA). */
  readonly type: number;
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
  /** Offset of the 16-byte target address. */
  readonly targetOffset: number;
  /** Source LLA option (NS) or target LLA option (NA), or null when absent. */
  readonly linkLayerAddress: MacNumber | null;
}

/**
 * Parses an NS or NA (RFC 4861 §4.3/4.4) in the ICMPv6 message b[off, end). Returns null for other
 * types, code != 0, truncation, a zero-length option or an option running past the end (all of which
 * RFC 4861 says to discard). Hop limit 255 and the checksum are checked by the caller, which has the IPv6
 * header.
 */
export function parseNeighborMessage(b: Uint8Array, off: number, end: number): NeighborMessage | null {
  if (end - off < NDP_NS_NA_LEN) return null;
  const type = b[off]!;
  if ((type !== ICMPV6_NEIGHBOR_SOLICIT && type !== ICMPV6_NEIGHBOR_ADVERT) || b[off + 1] !== 0) return null;
  const wanted = type === ICMPV6_NEIGHBOR_SOLICIT ? NDP_OPT_SOURCE_LLA : NDP_OPT_TARGET_LLA;
  let lla: MacNumber | null = null;
  let p = off + NDP_NS_NA_LEN;
  for (let n = 0; p < end; n++) {
    if (n === MAX_NDP_OPTIONS || p + 2 > end) return null;
    const len = b[p + 1]! * 8;
    if (len === 0 || p + len > end) return null;
    if (b[p] === wanted && len >= 8 && lla === null) lla = macAt(b, p + 2);
    p += len;
  }
  const flags = b[off + 4]!;
  return {
    type,
    router: (flags & 0x80) !== 0,
    solicited: (flags & 0x40) !== 0,
    override: (flags & 0x20) !== 0,
    targetOffset: off + 8,
    linkLayerAddress: lla,
  };
}
