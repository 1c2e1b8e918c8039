import { describe, expect, it } from 'vitest';
import { internetChecksum, ipv4HeaderChecksum, updateChecksum16 } from './checksum.js';

describe('internet checksum', () => {
  it('computes the IPv4 header checksum of a known header (b861)', () => {
    const h = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
    expect(ipv4HeaderChecksum(h, 0)).toBe(0xb861);
    h.writeUInt16BE(0xb861, 10);
    expect(internetChecksum(h, 0, 20)).toBe(0); // a correct header sums to 0xffff
  });
  it('handles odd lengths (RFC 1071 example words)', () => {
    // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 -> checksum 220d
    expect(internetChecksum(Buffer.from('0001f203f4f5f6f7', 'hex'), 0, 8)).toBe(0x220d);
    expect(internetChecksum(Buffer.from('01', 'hex'), 0, 1)).toBe(~0x0100 & 0xffff);
  });
  it('updates incrementally exactly as a full recomputation (RFC 1624)', () => {
    const data = Buffer.from('4500003c1c4640004006b1e6ac100a63ac100a0c', 'hex');
    data.writeUInt16BE(0, 10);
    const before = internetChecksum(data, 0, 20);
    for (const [oldW, newW] of [
      [0x4006, 0x3f06],
      [0x003c, 0xffff],
      [0x0000, 0x0000],
    ] as const) {
      const copy = Buffer.from(data);
      const at = copy.indexOf(Buffer.from([oldW >> 8, oldW & 0xff]));
      if (at < 0 || at % 2 === 1) continue;
      copy.writeUInt16BE(newW, at);
      expect(updateChecksum16(before, oldW, newW)).toBe(internetChecksum(copy, 0, 20));
    }
  });
});
