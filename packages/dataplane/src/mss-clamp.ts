import { put16, u16 } from './bytes.js';
import { updateChecksum16 } from './checksum.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, etherTypeOffset } from './parse/ethernet.js';
import { ipv4PacketLength, PROTO_TCP } from './parse/ipv4.js';
import { type Ipv6Upper, newIpv6Upper, walkIpv6 } from './parse/ipv6.js';
import { TCP_FLAG_SYN, tcpMssOffset } from './parse/transport.js';

/** MSS ceilings per IP version. Defaults fit a 1280-byte overlay MTU: 1280-40 and 1280-60. */
export interface MssLimits {
  readonly ipv4: number;
  readonly ipv6: number;
}

export const DEFAULT_MSS: MssLimits = { ipv4: 1240, ipv6: 1220 };

/** MSS limits that fit TCP into an overlay device MTU. */
export function mssForMtu(mtu: number): MssLimits {
  return { ipv4: mtu - 40, ipv6: mtu - 60 };
}

/**
 * Lowers the MSS option of a TCP SYN (or SYN-ACK) in place to the limit, fixing the TCP checksum
 * incrementally (RFC 1624) so it stays valid without summing the segment. Packets that are not TCP SYNs,
 * fragments, SYNs without an MSS option, and SYNs already at or below the limit are untouched.
 * Returns true when the packet was changed.
 */
export class MssClamper {
  readonly #limits: MssLimits;
  readonly #v6: Ipv6Upper = newIpv6Upper();

  constructor(limits: MssLimits = DEFAULT_MSS) {
    this.#limits = limits;
  }

  /** IP packet at b[off, end) (TUN). */
  clampIp(b: Uint8Array, off = 0, end: number = b.length): boolean {
    if (end - off < 20) return false;
    const version = b[off]! >>> 4;
    if (version === 4) {
      if (b[off + 9] !== PROTO_TCP) return false;
      const total = ipv4PacketLength(b, off, end);
      if (total < 0 || (u16(b, off + 6) & 0x1fff) !== 0) return false;
      const tcp = off + (b[off]! & 0x0f) * 4;
      return this.#clampTcp(b, tcp, off + total, this.#limits.ipv4);
    }
    if (version === 6) {
      const u = this.#v6;
      if (!walkIpv6(b, off, end, u) || u.proto !== PROTO_TCP || u.nonFirstFragment) return false;
      return this.#clampTcp(b, u.offset, u.end, this.#limits.ipv6);
    }
    return false;
  }

  /** Ethernet frame (TAP), untagged or with up to two VLAN tags. */
  clampFrame(frame: Uint8Array): boolean {
    const t = etherTypeOffset(frame);
    if (t < 0) return false;
    const et = u16(frame, t);
    if (et !== ETHERTYPE_IPV4 && et !== ETHERTYPE_IPV6) return false;
    return this.clampIp(frame, t + 2, frame.length);
  }

  #clampTcp(b: Uint8Array, tcp: number, end: number, limit: number): boolean {
    if (end - tcp < 20 || (b[tcp + 13]! & TCP_FLAG_SYN) === 0) return false;
    const mssOff = tcpMssOffset(b, tcp, end);
    if (mssOff < 0) return false;
    const old = u16(b, mssOff);
    if (old <= limit) return false;
    put16(b, mssOff, limit);
    // The MSS value sits at an even offset from the TCP header start (kind, len, value after 2n bytes of
    // options) only when preceded by an even number of NOPs; handle both alignments of the 16-bit words.
    const rel = mssOff - tcp;
    let sum = u16(b, tcp + 16);
    if ((rel & 1) === 0) {
      sum = updateChecksum16(sum, old, limit);
    } else {
      // Value straddles two checksum words: [x, hi] and [lo, y].
      const before = b[mssOff - 1]!;
      const after = mssOff + 2 < end ? b[mssOff + 2]! : 0;
      sum = updateChecksum16(sum, (before << 8) | (old >>> 8), (before << 8) | (limit >>> 8));
      sum = updateChecksum16(sum, ((old & 0xff) << 8) | after, ((limit & 0xff) << 8) | after);
    }
    put16(b, tcp + 16, sum);
    return true;
  }
}
