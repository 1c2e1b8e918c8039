import { u16, u32 } from '../bytes.js';

export const UDP_HEADER_LEN = 8;
export const TCP_MIN_HEADER_LEN = 20;
export const TCP_FLAG_SYN = 0x02;
export const TCP_FLAG_ACK = 0x10;

export interface UdpHeader {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly length: number;
  readonly payloadOffset: number;
}

export function parseUdp(b: Uint8Array, off: number, end: number = b.length): UdpHeader | null {
  if (end - off < UDP_HEADER_LEN) return null;
  const length = u16(b, off + 4);
  if (length < UDP_HEADER_LEN || off + length > end) return null;
  return { srcPort: u16(b, off), dstPort: u16(b, off + 2), length, payloadOffset: off + UDP_HEADER_LEN };
}

export interface TcpHeader {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly flags: number;
  readonly headerLength: number;
  readonly checksum: number;
  /** MSS option value, or -1 when absent. */
  readonly mss: number;
}

/**
 * Offset of the MSS option's 2-byte value in the TCP header at off, or -1 when absent or the options
 * are malformed. Stops at end-of-options and on any option whose length would run past the header.
 */
export function tcpMssOffset(b: Uint8Array, off: number, end: number): number {
  if (end - off < TCP_MIN_HEADER_LEN) return -1;
  const hl = (b[off + 12]! >>> 4) * 4;
  if (hl < TCP_MIN_HEADER_LEN || off + hl > end) return -1;
  const optEnd = off + hl;
  let p = off + TCP_MIN_HEADER_LEN;
  while (p < optEnd) {
    const kind = b[p]!;
    if (kind === 0) return -1;
    if (kind === 1) {
      p++;
      continue;
    }
    if (p + 1 >= optEnd) return -1;
    const len = b[p + 1]!;
    if (len < 2 || p + len > optEnd) return -1;
    if (kind === 2) return len === 4 ? p + 2 : -1;
    p += len;
  }
  return -1;
}

export function parseTcp(b: Uint8Array, off: number, end: number = b.length): TcpHeader | null {
  if (end - off < TCP_MIN_HEADER_LEN) return null;
  const hl = (b[off + 12]! >>> 4) * 4;
  if (hl < TCP_MIN_HEADER_LEN || off + hl > end) return null;
  const mssOff = tcpMssOffset(b, off, end);
  return {
    srcPort: u16(b, off),
    dstPort: u16(b, off + 2),
    flags: b[off + 13]!,
    headerLength: hl,
    checksum: u16(b, off + 16),
    mss: mssOff < 0 ? -1 : u16(b, mssOff),
  };
}

export interface IcmpHeader {
  readonly type: number;
  readonly code: number;
  readonly checksum: number;
  /** The 4 bytes after the checksum (echo id/seq, next-hop MTU, ...). */
  readonly rest: number;
}

/** ICMP or ICMPv6 header (same 8-byte layout), or null when truncated. */
export function parseIcmp(b: Uint8Array, off: number, end: number = b.length): IcmpHeader | null {
  if (end - off < 8 || off < 0) return null;
  return { type: b[off]!, code: b[off + 1]!, checksum: u16(b, off + 2), rest: u32(b, off + 4) };
}
