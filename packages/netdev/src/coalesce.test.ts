// The native TCP coalescer (native/coalesce.c) through coalescePreview: what a batch of frames
// becomes as device writes. No root needed; the kernel side is in device.integration.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadNativeAddon } from './native.js';
import { internetChecksum } from './testing/frames.js';
import {
  A4,
  A6,
  B4,
  B6,
  ipv4HeaderChecksumValid,
  parseVnetHeader,
  resegment,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_SYN,
  type TcpSegmentSpec,
  TIMESTAMPS,
  tcpChecksumValid,
  tcpSegment,
} from './testing/tcp.js';

const addon = loadNativeAddon();
const MSS = 1228;

function payload(i: number, len = MSS): Buffer {
  return Buffer.alloc(len, i & 0xff);
}

/** `n` contiguous full-size data segments of one flow, starting at `seq`. */
function burst(n: number, base: Partial<TcpSegmentSpec> = {}, seq = 1000): Buffer[] {
  return Array.from({ length: n }, (_, i) =>
    tcpSegment({
      src: A4,
      dst: B4,
      srcPort: 40000,
      dstPort: 5201,
      seq: seq + i * MSS,
      ack: 77,
      options: TIMESTAMPS,
      payload: payload(i),
      ...base,
    }),
  );
}

/** The kernel's skb_checksum_help for a CHECKSUM_PARTIAL packet (the field holds the pseudo-header sum). */
function completePartial(pkt: Buffer, start: number, offset: number): void {
  pkt.writeUInt16BE(internetChecksum(pkt.subarray(start)), start + offset);
}

const preview = (frames: Buffer[], l2: 0 | 14 = 0): Buffer[] => addon.coalescePreview(frames, l2);
const undo = (writes: Buffer[], l2: 0 | 14 = 0): Buffer[] => writes.flatMap((w) => resegment(w, l2));

describe('TCP coalescing of device writes', () => {
  it('merges a burst of one flow into one GSO write the kernel can split back into the same segments', () => {
    const frames = burst(20);
    const writes = preview(frames);
    expect(writes).toHaveLength(1);
    const w = writes[0]!;
    const h = parseVnetHeader(w);
    expect(h).toEqual({ flags: 1, gsoType: 1, hdrLen: 20 + 32, gsoSize: MSS, csumStart: 20, csumOffset: 16 });
    const pkt = w.subarray(10);
    expect(pkt.readUInt16BE(2)).toBe(pkt.length); // IPv4 total length of the merged packet
    expect(ipv4HeaderChecksumValid(pkt)).toBe(true);
    expect(pkt.subarray(52)).toEqual(Buffer.concat(frames.map((f) => f.subarray(52))));
    // The partial checksum the kernel completes when it needs one (forwarding) comes out right.
    const completed = Buffer.from(pkt);
    completePartial(completed, h.csumStart, h.csumOffset);
    expect(tcpChecksumValid(completed)).toBe(true);
    expect(undo(writes)).toEqual(frames);
  });

  it('keeps flows apart and each flow in order when their segments interleave', () => {
    const one = burst(6);
    const two = burst(6, { srcPort: 40001 }, 5_000_000);
    const mixed = one.flatMap((f, i) => [f, two[i]!]);
    const writes = preview(mixed);
    expect(writes).toHaveLength(2);
    const out = undo(writes);
    expect(out.filter((f) => f.readUInt16BE(20) === 40000)).toEqual(one);
    expect(out.filter((f) => f.readUInt16BE(20) === 40001)).toEqual(two);
  });

  it('writes a segment that cannot be merged in its place within the flow, merging around it', () => {
    const data = burst(6);
    const fin = tcpSegment({
      src: A4,
      dst: B4,
      srcPort: 40000,
      dstPort: 5201,
      seq: 1000 + 3 * MSS,
      ack: 77,
      flags: TCP_ACK | TCP_FIN,
      options: TIMESTAMPS,
    });
    const frames = [...data.slice(0, 3), fin, ...data.slice(3)];
    const writes = preview(frames);
    expect(writes.map((w) => parseVnetHeader(w).gsoType)).toEqual([1, 0, 1]);
    expect(undo(writes)).toEqual(frames);
  });

  it.each([
    ['a sequence gap', (f: Buffer[]) => [f[0]!, f[2]!], 2],
    ['another ACK number', (f: Buffer[]) => [f[0]!, burst(2, { ack: 78 })[1]!], 2],
    [
      'other TCP options',
      (f: Buffer[]) => [f[0]!, burst(2, { options: TIMESTAMPS.map((b, i) => (i === 7 ? 8 : b)) })[1]!],
      2,
    ],
    ['another TTL', (f: Buffer[]) => [f[0]!, burst(2, { ttl: 3 })[1]!], 2],
    ['IPv4 without DF', () => burst(3, { df: false }), 3],
    ['SYN', () => burst(2, { flags: TCP_SYN | TCP_ACK }), 2],
    ['a segment after a short one', (f: Buffer[]) => [burst(1, { payload: payload(0, 100) })[0]!, f[1]!], 2],
    ['a segment after PSH', (f: Buffer[]) => [burst(1, { flags: TCP_ACK | TCP_PSH })[0]!, f[1]!], 2],
    ['pure ACKs', () => burst(3, { payload: new Uint8Array(0) }), 3],
  ])('does not merge across %s', (_what, pick, writes) => {
    const frames = pick(burst(3));
    const out = preview(frames);
    expect(out).toHaveLength(writes);
    expect(undo(out)).toEqual(frames);
  });

  it('writes a segment with a bad checksum alone and unchanged, for the kernel to drop', () => {
    const frames = burst(4);
    const bad = Buffer.from(frames[2]!);
    bad[bad.length - 1]! ^= 0xff;
    const out = preview([frames[0]!, frames[1]!, bad, frames[3]!]);
    expect(out.map((w) => parseVnetHeader(w).gsoType)).toEqual([1, 0, 0]);
    expect(out[1]!.subarray(10)).toEqual(bad);
  });

  it('lets PSH end a merged write and keeps it on the last segment', () => {
    const frames = burst(3);
    frames[2] = burst(3, { flags: TCP_ACK | TCP_PSH })[2]!;
    const out = preview(frames);
    expect(out).toHaveLength(1);
    expect(undo(out)).toEqual(frames);
  });

  it('merges IPv6 inside Ethernet frames (TAP) with the TCPv6 GSO type', () => {
    const ether = { dst: Uint8Array.of(2, 0, 0, 0, 0, 2), src: Uint8Array.of(2, 0, 0, 0, 0, 1) };
    const frames = burst(5, { src: A6, dst: B6, ether });
    const out = preview(frames, 14);
    expect(out).toHaveLength(1);
    const h = parseVnetHeader(out[0]!);
    expect(h).toMatchObject({ gsoType: 4, hdrLen: 14 + 40 + 32, csumStart: 54 });
    const completed = Buffer.from(out[0]!.subarray(10 + 14));
    completePartial(completed, 40, 16);
    expect(tcpChecksumValid(completed)).toBe(true);
    expect(undo(out, 14)).toEqual(frames);
    // Another destination MAC is another flow.
    const other = burst(
      1,
      { src: A6, dst: B6, ether: { ...ether, dst: Uint8Array.of(2, 0, 0, 0, 0, 3) } },
      1000 + 5 * MSS,
    );
    expect(preview([...frames, ...other], 14)).toHaveLength(2);
  });

  it('stops a merged write before the 64 KiB IP limit', () => {
    const frames = burst(60);
    const out = preview(frames);
    expect(out.length).toBeGreaterThan(1);
    for (const w of out) expect(w.length - 10).toBeLessThanOrEqual(65535);
    expect(undo(out)).toEqual(frames);
  });

  it('passes anything else through untouched and never loses or reorders a flow (random batches)', () => {
    const frameArb = fc.oneof(
      fc.record({
        kind: fc.constant('tcp' as const),
        flow: fc.integer({ min: 0, max: 2 }),
        step: fc.integer({ min: -1, max: 2 }),
        len: fc.constantFrom(MSS, MSS, MSS, 10, 0),
        flags: fc.constantFrom(TCP_ACK, TCP_ACK, TCP_ACK | TCP_PSH, TCP_ACK | TCP_FIN),
      }),
      fc.record({
        kind: fc.constant('junk' as const),
        bytes: fc.uint8Array({ minLength: 0, maxLength: 80 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 80 }), (specs) => {
        const seq = [1000, 2000, 3000];
        const frames = specs.map((s) => {
          if (s.kind === 'junk') return Buffer.from(s.bytes);
          const at = seq[s.flow]! + s.step * MSS;
          seq[s.flow] = at + s.len;
          return tcpSegment({
            src: A4,
            dst: B4,
            srcPort: 40000 + s.flow,
            dstPort: 5201,
            seq: at,
            ack: 77,
            flags: s.flags,
            options: TIMESTAMPS,
            payload: payload(at, s.len),
          });
        });
        const out = undo(preview(frames));
        expect(out).toHaveLength(frames.length);
        const byFlow = (list: Buffer[]) => {
          const m = new Map<string, string[]>();
          for (const f of list) {
            const key = f.length >= 40 && f[9] === 6 && f[0] === 0x45 ? String(f.readUInt16BE(20)) : 'other';
            m.set(key, [...(m.get(key) ?? []), f.toString('hex')]);
          }
          return m;
        };
        const want = byFlow(frames);
        const got = byFlow(out);
        for (const [k, v] of want) {
          if (k === 'other') expect([...(got.get(k) ?? [])].sort()).toEqual([...v].sort());
          else expect(got.get(k)).toEqual(v);
        }
      }),
      { seed: 20261126, numRuns: 300 },
    );
  });
});
