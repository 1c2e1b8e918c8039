// Test support for TCP coalescing: build TCP segments (IPv4/IPv6, optional Ethernet header) with
// correct checksums, and undo a coalesced write the way the kernel's GSO would (resegment), so
// tests can compare what went in with what the kernel would see. Not exported from the package.
import { internetChecksum } from './frames.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** Addresses and a timestamps option the coalescing and segmentation tests build their flows from. */
export const A4 = Uint8Array.of(10, 0, 0, 1);
export const B4 = Uint8Array.of(10, 0, 0, 2);
export const A6 = Uint8Array.from(Buffer.from('fd000000000000000000000000000001', 'hex'));
export const B6 = Uint8Array.from(Buffer.from('fd000000000000000000000000000002', 'hex'));
export const TIMESTAMPS = Uint8Array.of(1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9);

export interface TcpSegmentSpec {
  readonly v6?: boolean;
  readonly src: Uint8Array; // 4 or 16 bytes
  readonly dst: Uint8Array;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags?: number; // default ACK
  readonly window?: number;
  readonly payload?: Uint8Array;
  /** TCP options (length a multiple of 4). */
  readonly options?: Uint8Array;
  /** IPv4: set DF (default true). */
  readonly df?: boolean;
  readonly ttl?: number;
  readonly tos?: number;
  readonly ipId?: number;
  /** Prepend an Ethernet header with these MACs (TAP). */
  readonly ether?: { readonly dst: Uint8Array; readonly src: Uint8Array };
}

function pseudoHeader(v6: boolean, src: Uint8Array, dst: Uint8Array, l4Len: number): Buffer {
  if (v6) {
    const p = Buffer.alloc(40);
    p.set(src, 0);
    p.set(dst, 16);
    p.writeUInt32BE(l4Len, 32);
    p[39] = 6;
    return p;
  }
  const p = Buffer.alloc(12);
  p.set(src, 0);
  p.set(dst, 4);
  p[9] = 6;
  p.writeUInt16BE(l4Len, 10);
  return p;
}

/** True when the TCP checksum of an IP packet (no Ethernet header) verifies. */
export function tcpChecksumValid(ip: Uint8Array): boolean {
  const v6 = (ip[0] ?? 0) >> 4 === 6;
  const ihl = v6 ? 40 : ((ip[0] ?? 0) & 15) * 4;
  const total = v6 ? 40 + ((ip[4] ?? 0) << 8) + (ip[5] ?? 0) : ((ip[2] ?? 0) << 8) + (ip[3] ?? 0);
  const l4 = ip.subarray(ihl, total);
  const src = v6 ? ip.subarray(8, 24) : ip.subarray(12, 16);
  const dst = v6 ? ip.subarray(24, 40) : ip.subarray(16, 20);
  return tcpChecksum(v6, src, dst, l4) === 0;
}

export function ipv4HeaderChecksumValid(ip: Uint8Array): boolean {
  return internetChecksum(ip.subarray(0, ((ip[0] ?? 0) & 15) * 4)) === 0;
}

/** The TCP checksum over pseudo-header and segment (0 when the segment's own checksum is right). */
function tcpChecksum(v6: boolean, src: Uint8Array, dst: Uint8Array, l4: Uint8Array): number {
  return internetChecksum(Buffer.concat([pseudoHeader(v6, src, dst, l4.length), l4]));
}

export function tcpSegment(s: TcpSegmentSpec): Buffer {
  const v6 = s.v6 ?? s.src.length === 16;
  const options = s.options ?? new Uint8Array(0);
  const payload = s.payload ?? new Uint8Array(0);
  const ihl = v6 ? 40 : 20;
  const thl = 20 + options.length;
  const ip = Buffer.alloc(ihl + thl + payload.length);
  if (v6) {
    ip[0] = 0x60 | ((s.tos ?? 0) >> 4);
    ip[1] = ((s.tos ?? 0) & 15) << 4;
    ip.writeUInt16BE(thl + payload.length, 4);
    ip[6] = 6;
    ip[7] = s.ttl ?? 64;
    ip.set(s.src, 8);
    ip.set(s.dst, 24);
  } else {
    ip[0] = 0x45;
    ip[1] = s.tos ?? 0;
    ip.writeUInt16BE(ip.length, 2);
    ip.writeUInt16BE(s.ipId ?? 1, 4);
    ip.writeUInt16BE((s.df ?? true) ? 0x4000 : 0, 6);
    ip[8] = s.ttl ?? 64;
    ip[9] = 6;
    ip.set(s.src, 12);
    ip.set(s.dst, 16);
    ip.writeUInt16BE(internetChecksum(ip.subarray(0, 20)), 10);
  }
  const t = ip.subarray(ihl);
  t.writeUInt16BE(s.srcPort, 0);
  t.writeUInt16BE(s.dstPort, 2);
  t.writeUInt32BE(s.seq >>> 0, 4);
  t.writeUInt32BE(s.ack >>> 0, 8);
  t[12] = (thl / 4) << 4;
  t[13] = s.flags ?? TCP_ACK;
  t.writeUInt16BE(s.window ?? 502, 14);
  t.set(options, 20);
  t.set(payload, thl);
  const src = v6 ? ip.subarray(8, 24) : ip.subarray(12, 16);
  const dst = v6 ? ip.subarray(24, 40) : ip.subarray(16, 20);
  t.writeUInt16BE(tcpChecksum(v6, src, dst, t), 16);
  if (!s.ether) return ip;
  const f = Buffer.alloc(14 + ip.length);
  f.set(s.ether.dst, 0);
  f.set(s.ether.src, 6);
  f.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
  f.set(ip, 14);
  return f;
}

/** The virtio-net header of a write (little-endian fields). */
export interface VnetHeader {
  readonly flags: number;
  readonly gsoType: number;
  readonly hdrLen: number;
  readonly gsoSize: number;
  readonly csumStart: number;
  readonly csumOffset: number;
}

export function parseVnetHeader(write: Uint8Array): VnetHeader {
  const b = Buffer.from(write.buffer, write.byteOffset, write.length);
  return {
    flags: b[0] ?? 0,
    gsoType: b[1] ?? 0,
    hdrLen: b.readUInt16LE(2),
    gsoSize: b.readUInt16LE(4),
    csumStart: b.readUInt16LE(6),
    csumOffset: b.readUInt16LE(8),
  };
}

/**
 * Undoes one write as the kernel would: a plain write is its frame; a GSO write is split into
 * gsoSize segments with the head's headers, lengths and sequence numbers fixed and checksums
 * computed. Returns the frames (with the Ethernet header when l2Len is 14).
 */
export function resegment(write: Uint8Array, l2Len: 0 | 14): Buffer[] {
  const h = parseVnetHeader(write);
  const pkt = Buffer.from(write.subarray(10));
  if (h.gsoType === 0) return [pkt];
  const headers = pkt.subarray(0, h.hdrLen);
  const payload = pkt.subarray(h.hdrLen);
  const ip0 = headers.subarray(l2Len);
  const v6 = (ip0[0] ?? 0) >> 4 === 6;
  const ihl = v6 ? 40 : ((ip0[0] ?? 0) & 15) * 4;
  const thl = h.hdrLen - l2Len - ihl;
  const out: Buffer[] = [];
  const seq0 = ip0.readUInt32BE(ihl + 4);
  const flags = ip0[ihl + 13] ?? 0;
  for (let off = 0; off < payload.length; off += h.gsoSize) {
    const chunk = payload.subarray(off, Math.min(payload.length, off + h.gsoSize));
    const last = off + h.gsoSize >= payload.length;
    const f = Buffer.concat([headers, chunk]);
    const ip = f.subarray(l2Len);
    if (v6) ip.writeUInt16BE(thl + chunk.length, 4);
    else {
      ip.writeUInt16BE(ihl + thl + chunk.length, 2);
      ip.writeUInt16BE(0, 10);
      ip.writeUInt16BE(internetChecksum(ip.subarray(0, ihl)), 10);
    }
    const t = ip.subarray(ihl);
    t.writeUInt32BE((seq0 + off) >>> 0, 4);
    t[13] = last ? flags : flags & ~(TCP_PSH | TCP_FIN);
    t.writeUInt16BE(0, 16);
    const src = v6 ? ip.subarray(8, 24) : ip.subarray(12, 16);
    const dst = v6 ? ip.subarray(24, 40) : ip.subarray(16, 20);
    t.writeUInt16BE(tcpChecksum(v6, src, dst, t), 16);
    out.push(f);
  }
  return out;
}
