import { parsePrefix } from '@rtcmesh/dataplane';

/**
 * A small set of IPv4/IPv6 prefixes tested against an address inside a packet, without allocating.
 * Linear scan: policies list a handful of CIDRs per rule, and the common case (node and tag
 * selectors) never reaches here.
 */
export class PrefixSet {
  /** [network, mask] pairs. */
  private readonly v4: Uint32Array;
  /** 16 bytes per prefix, host bits cleared, and the lengths. */
  private readonly v6: Uint8Array;
  private readonly v6len: Uint8Array;

  constructor(prefixes: readonly string[]) {
    const v4: number[] = [];
    const v6: number[] = [];
    const v6len: number[] = [];
    for (const text of prefixes) {
      const p = parsePrefix(text);
      if (!p) continue;
      if (p.family === 4) {
        const b = p.bytes;
        const mask = p.length === 0 ? 0 : (0xffffffff << (32 - p.length)) >>> 0;
        v4.push(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0, mask);
      } else {
        v6.push(...p.bytes);
        v6len.push(p.length);
      }
    }
    this.v4 = Uint32Array.from(v4);
    this.v6 = Uint8Array.from(v6);
    this.v6len = Uint8Array.from(v6len);
  }

  get size(): number {
    return this.v4.length / 2 + this.v6len.length;
  }

  /** Does the address at packet[off] (4 bytes when family 4, else 16) fall in one of the prefixes? */
  contains(family: 4 | 6, packet: Uint8Array, off: number): boolean {
    if (family === 4) {
      const a =
        ((packet[off]! << 24) | (packet[off + 1]! << 16) | (packet[off + 2]! << 8) | packet[off + 3]!) >>> 0;
      for (let i = 0; i < this.v4.length; i += 2) if ((a & this.v4[i + 1]!) >>> 0 === this.v4[i]) return true;
      return false;
    }
    for (let i = 0; i < this.v6len.length; i++) if (this.v6Match(i, packet, off)) return true;
    return false;
  }

  private v6Match(i: number, packet: Uint8Array, off: number): boolean {
    const len = this.v6len[i]!;
    const base = i * 16;
    const full = len >> 3;
    for (let j = 0; j < full; j++) if (packet[off + j] !== this.v6[base + j]) return false;
    const rem = len & 7;
    if (rem === 0) return true;
    const mask = (0xff << (8 - rem)) & 0xff;
    return (packet[off + full]! & mask) === this.v6[base + full];
  }
}
