// The native segmenter (native/segment.c) through segmentPreview: what a read from a device with
// offloads (TSO4/6, USO, checksum) delivers. No root needed; the kernel side is in
// device.integration.test.ts. GSO packets are built by the coalescer (coalescePreview), whose
// writes have exactly the form the kernel's reads have: virtio-net header, one packet with the
// head's headers, a pseudo-header sum in the checksum field.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadNativeAddon, SEGMENT_ERRORS } from './native.js';
import { internetChecksum } from './testing/frames.js';
import {
  A4,
  A6,
  B4,
  B6,
  ipv4HeaderChecksumValid,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  type TcpSegmentSpec,
  TIMESTAMPS,
  tcpChecksumValid,
  tcpSegment,
} from './testing/tcp.js';

const addon = loadNativeAddon();
const ETHER = { dst: Uint8Array.of(2, 0, 0, 0, 0, 2), src: Uint8Array.of(2, 0, 0, 0, 0, 1) };

/**
 * `n` contiguous segments of one flow, `mss` bytes each (the last `last`), IP IDs counting up as
 * the kernel's TSO counts them; `base.flags` goes on the last segment, the others carry ACK only.
 */
function burst(n: number, mss: number, base: Partial<TcpSegmentSpec> = {}, last = mss): Buffer[] {
  const { flags = TCP_ACK, ...rest } = base;
  return Array.from({ length: n }, (_, i) =>
    tcpSegment({
      src: A4,
      dst: B4,
      srcPort: 40000,
      dstPort: 5201,
      seq: 0xffff_f000 + i * mss, // wraps inside the burst
      ack: 77,
      options: TIMESTAMPS,
      ipId: 100 + i,
      payload: Buffer.alloc(i === n - 1 ? last : mss, (i * 37) & 0xff),
      ...rest,
      flags: i === n - 1 ? flags : TCP_ACK,
    }),
  );
}

/** The GSO packet the kernel would hand us for these segments (one coalesced write). */
function superPacket(frames: Buffer[], l2: 0 | 14): Buffer {
  const writes = addon.coalescePreview(frames, l2);
  expect(writes).toHaveLength(1);
  return writes[0]!;
}

function split(read: Uint8Array, l2: 0 | 14): Buffer[] {
  const r = addon.segmentPreview(read, l2);
  if (typeof r === 'number') throw new Error(`segmentPreview refused: ${SEGMENT_ERRORS[r]}`);
  return r;
}

function refusal(read: Uint8Array, l2: 0 | 14 = 0): string | undefined {
  const r = addon.segmentPreview(read, l2);
  return typeof r === 'number' ? SEGMENT_ERRORS[r] : undefined;
}

describe('segmenting what a device with offloads reads', () => {
  it.each([
    ['IPv4 on a TUN', {}, 0],
    ['IPv6 on a TUN', { src: A6, dst: B6 }, 0],
    ['IPv4 on a TAP', { ether: ETHER }, 14],
    ['IPv6 on a TAP', { src: A6, dst: B6, ether: ETHER }, 14],
  ] as const)('gives back exactly the segments of a TSO packet (%s)', (_name, base, l2) => {
    const frames = burst(20, 1228, { ...base, flags: TCP_ACK | TCP_PSH }, 300);
    const read = superPacket(frames, l2);
    const vnet = read.subarray(0, 10);
    expect(vnet[1]).not.toBe(0); // a GSO packet: TCPV4 or TCPV6
    const out = split(read, l2);
    expect(out).toHaveLength(20);
    expect(out).toEqual(frames);
    for (const seg of out) {
      const ip = seg.subarray(l2);
      expect(tcpChecksumValid(ip)).toBe(true);
      if (ip[0]! >> 4 === 4) expect(ipv4HeaderChecksumValid(ip)).toBe(true);
    }
  });

  it('puts FIN and PSH on the last segment only, and CWR on the first only', () => {
    const frames = burst(3, 1000, { flags: TCP_ACK | TCP_PSH | TCP_FIN });
    // Build the GSO packet by hand from one big segment (the coalescer never merges a FIN).
    const big = tcpSegment({
      src: A4,
      dst: B4,
      srcPort: 40000,
      dstPort: 5201,
      seq: 0xffff_f000,
      ack: 77,
      options: TIMESTAMPS,
      ipId: 100,
      flags: TCP_ACK | TCP_PSH | TCP_FIN | 0x80,
      payload: Buffer.concat(frames.map((f) => f.subarray(20 + 32))),
    });
    const out = split(Buffer.concat([gsoHeader(1, 1000, 20, 16), partial(big, 20, 16, 6)]), 0);
    expect(out.map((s) => s[20 + 13])).toEqual([TCP_ACK | 0x80, TCP_ACK, TCP_ACK | TCP_PSH | TCP_FIN]);
    expect(out.map((s) => s.readUInt32BE(20 + 4))).toEqual([0xffff_f000, 0xffff_f3e8, 0xffff_f7d0]);
    expect(out.map((s) => s.readUInt16BE(4))).toEqual([100, 101, 102]);
    for (const s of out) expect(tcpChecksumValid(s)).toBe(true);
  });

  it('splits a UDP segmentation-offload packet into datagrams with their own lengths and checksums', () => {
    const payload = Buffer.alloc(3000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
    const ip = udp4(payload);
    const out = split(Buffer.concat([gsoHeader(5, 1200, 20, 6), partial(ip, 20, 6, 17)]), 0);
    expect(out.map((s) => s.length)).toEqual([1228, 1228, 628]);
    expect(Buffer.concat(out.map((s) => s.subarray(28))).equals(payload)).toBe(true);
    for (const s of out) {
      expect(s.readUInt16BE(2)).toBe(s.length);
      expect(s.readUInt16BE(20 + 4)).toBe(s.length - 20);
      expect(ipv4HeaderChecksumValid(s)).toBe(true);
      expect(udpChecksumValid(s)).toBe(true);
    }
  });

  it('passes a plain packet through, completing a partial checksum', () => {
    const [seg] = burst(1, 500);
    const plain = Buffer.concat([Buffer.alloc(10), seg!]);
    expect(split(plain, 0)[0]!.equals(seg!)).toBe(true);
    const withPartial = Buffer.concat([partialHeader(20, 16), partial(seg!, 20, 16, 6)]);
    expect(split(withPartial, 0)[0]!.equals(seg!)).toBe(true);
  });

  it('never trusts the virtio-net header: hdr_len is ignored, the rest must match the packet', () => {
    const frames = burst(4, 1000);
    const good = superPacket(frames, 0);
    const lying = Buffer.from(good);
    lying.writeUInt16LE(7, 2); // hdr_len says 7
    expect(split(lying, 0)).toEqual(frames);
    const mutate = (f: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(good);
      f(b);
      return b;
    };
    expect(refusal(mutate((b) => b.writeUInt16LE(0, 4)))).toBe('too many segments'); // gso_size 0
    expect(refusal(mutate((b) => b.writeUInt16LE(8, 4)))).toBe('too many segments'); // 512 B / 8
    expect(refusal(mutate((b) => b.writeUInt16LE(21, 6)))).toBe('bad virtio-net header'); // csum_start
    expect(refusal(mutate((b) => b.writeUInt16LE(6, 8)))).toBe('bad virtio-net header'); // csum_offset
    expect(refusal(mutate((b) => (b[0] = 0)))).toBe('bad virtio-net header'); // no NEEDS_CSUM
    expect(refusal(mutate((b) => (b[1] = 4)))).toBe('bad virtio-net header'); // TCPV6 on IPv4
    expect(refusal(mutate((b) => (b[1] = 3)))).toBe('unsupported'); // UFO
    expect(refusal(mutate((b) => b.writeUInt16BE(b.readUInt16BE(12) - 1, 12)))).toBe('bad packet'); // IP length
    expect(refusal(mutate((b) => b.writeUInt16BE(0x2000, 16)))).toBe('bad packet'); // a fragment
    expect(refusal(good.subarray(0, 9))).toBe('bad virtio-net header');
    expect(refusal(good.subarray(0, 40))).toBe('bad packet'); // truncated
    const v6 = superPacket(burst(3, 1000, { src: A6, dst: B6 }), 0);
    v6[10 + 6] = 0; // hop-by-hop extension header
    expect(refusal(v6)).toBe('unsupported');
  });

  it('never crashes on arbitrary reads, and what it delivers is bounded and checksummed', () => {
    const seeds = [superPacket(burst(10, 1228), 0), superPacket(burst(6, 900, { src: A6, dst: B6 }), 0)];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc
            .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 6 }))
            .map(([seed, edits]) => {
              const b = Buffer.from(seed);
              for (const [at, v] of edits) b[at % 64] = v;
              return b;
            }),
        ),
        (read) => {
          const r = addon.segmentPreview(read, 0);
          if (typeof r === 'number') {
            expect(SEGMENT_ERRORS[r]).toBeDefined();
            return;
          }
          expect(r.length).toBeLessThanOrEqual(1024);
          for (const seg of r) expect(seg.length).toBeLessThanOrEqual(read.length);
          if (read[1] === 1 && r.length > 1) for (const seg of r) expect(tcpChecksumValid(seg)).toBe(true);
        },
      ),
      { numRuns: 4000 },
    );
  });
});

function gsoHeader(type: number, gsoSize: number, csumStart: number, csumOffset: number): Buffer {
  const h = Buffer.alloc(10);
  h[0] = 1; // NEEDS_CSUM
  h[1] = type;
  h.writeUInt16LE(0, 2);
  h.writeUInt16LE(gsoSize, 4);
  h.writeUInt16LE(csumStart, 6);
  h.writeUInt16LE(csumOffset, 8);
  return h;
}

function partialHeader(csumStart: number, csumOffset: number): Buffer {
  const h = gsoHeader(0, 0, csumStart, csumOffset);
  return h;
}

/** The packet as the kernel hands it over with CHECKSUM_PARTIAL: the field holds the pseudo-header sum. */
function partial(ipPacket: Buffer, l4: number, offset: number, proto: number): Buffer {
  const p = Buffer.from(ipPacket);
  const v6 = p[0]! >> 4 === 6;
  const l4len = p.length - l4;
  const pseudo = v6 ? Buffer.alloc(40) : Buffer.alloc(12);
  if (v6) {
    p.copy(pseudo, 0, 8, 40);
    pseudo.writeUInt32BE(l4len, 32);
    pseudo[39] = proto;
  } else {
    p.copy(pseudo, 0, 12, 20);
    pseudo[9] = proto;
    pseudo.writeUInt16BE(l4len, 10);
  }
  // internetChecksum is the complement of the folded sum; the field wants the folded sum itself.
  p.writeUInt16BE(~internetChecksum(pseudo) & 0xffff, l4 + offset);
  return p;
}

function udp4(payload: Buffer): Buffer {
  const p = Buffer.alloc(28 + payload.length);
  p[0] = 0x45;
  p.writeUInt16BE(p.length, 2);
  p.writeUInt16BE(7, 4);
  p.writeUInt16BE(0x4000, 6);
  p[8] = 64;
  p[9] = 17;
  Buffer.from(A4).copy(p, 12);
  Buffer.from(B4).copy(p, 16);
  p.writeUInt16BE(internetChecksum(p.subarray(0, 20)), 10);
  p.writeUInt16BE(5000, 20);
  p.writeUInt16BE(6000, 22);
  p.writeUInt16BE(8 + payload.length, 24);
  payload.copy(p, 28);
  return p;
}

function udpChecksumValid(ip: Buffer): boolean {
  const pseudo = Buffer.alloc(12);
  ip.copy(pseudo, 0, 12, 20);
  pseudo[9] = 17;
  pseudo.writeUInt16BE(ip.length - 20, 10);
  return internetChecksum(Buffer.concat([pseudo, ip.subarray(20)])) === 0;
}
