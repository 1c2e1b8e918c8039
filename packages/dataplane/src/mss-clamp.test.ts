import { describe, expect, it } from 'vitest';
import { ethernetFrame, ipv4Packet, ipv6Packet, tcpSegment } from './builders/frames.js';
import { verifyTransport4, verifyTransport6 } from './checksum.js';
import { MssClamper } from './mss-clamp.js';
import { parseTcp } from './parse/transport.js';

const clamper = new MssClamper({ ipv4: 1240, ipv6: 1220 });

function syn4(mss: number, flags = 0x02, leadingOptions?: Uint8Array): Buffer {
  return ipv4Packet({
    src: '10.0.0.1',
    dst: '10.0.0.2',
    protocol: 6,
    payload: tcpSegment({
      srcPort: 40000,
      dstPort: 443,
      flags,
      mss,
      ...(leadingOptions ? { leadingOptions } : {}),
    }),
  });
}

function syn6(mss: number, flags = 0x02): Buffer {
  return ipv6Packet({
    src: 'fd00::1',
    dst: 'fd00::2',
    nextHeader: 6,
    payload: tcpSegment({ srcPort: 40000, dstPort: 443, flags, mss }),
  });
}

describe('MSS clamping', () => {
  it('lowers the MSS of an IPv4 SYN and keeps the TCP checksum valid', () => {
    const p = syn4(1460);
    expect(verifyTransport4(p, 0, 20, p.length - 20, 6)).toBe(true);
    expect(clamper.clampIp(p)).toBe(true);
    expect(parseTcp(p, 20)!.mss).toBe(1240);
    expect(verifyTransport4(p, 0, 20, p.length - 20, 6)).toBe(true);
    // Same bytes as building the clamped SYN from scratch.
    expect(p.equals(syn4(1240))).toBe(true);
  });

  it('clamps a SYN-ACK, an IPv6 SYN, and frames with and without 802.1Q', () => {
    const sa = syn4(8960, 0x12);
    expect(clamper.clampIp(sa)).toBe(true);
    expect(sa.equals(syn4(1240, 0x12))).toBe(true);

    const p6 = syn6(1440);
    expect(clamper.clampIp(p6)).toBe(true);
    expect(parseTcp(p6, 40)!.mss).toBe(1220);
    expect(verifyTransport6(p6, 0, 40, p6.length - 40, 6)).toBe(true);

    for (const vlanId of [undefined, 42]) {
      const f = ethernetFrame({
        dst: '02:00:00:00:00:02',
        src: '02:00:00:00:00:01',
        etherType: 0x0800,
        payload: syn4(1460),
        ...(vlanId === undefined ? {} : { vlanId }),
      });
      expect(clamper.clampFrame(f)).toBe(true);
      const ip = vlanId === undefined ? 14 : 18;
      expect(parseTcp(f, ip + 20)!.mss).toBe(1240);
      expect(verifyTransport4(f, ip, ip + 20, f.length - ip - 20, 6)).toBe(true);
    }
    const f6 = ethernetFrame({
      dst: '02:00:00:00:00:02',
      src: '02:00:00:00:00:01',
      etherType: 0x86dd,
      payload: syn6(1460),
      vlanId: 7,
    });
    expect(clamper.clampFrame(f6)).toBe(true);
    expect(verifyTransport6(f6, 18, 58, f6.length - 58, 6)).toBe(true);
  });

  it('keeps the checksum right when the MSS value sits at an odd offset', () => {
    // One NOP before the MSS option puts its value at an odd offset from the TCP header start.
    for (const lead of [[1], [1, 1, 1], [4, 2, 1]]) {
      const p = syn4(1460, 0x02, new Uint8Array(lead));
      expect(clamper.clampIp(p)).toBe(true);
      expect(parseTcp(p, 20)!.mss).toBe(1240);
      expect(verifyTransport4(p, 0, 20, p.length - 20, 6)).toBe(true);
    }
  });

  it('leaves alone: small MSS, non-SYN, no option, fragments, UDP', () => {
    const small = syn4(1200);
    expect(clamper.clampIp(small)).toBe(false);
    expect(small.equals(syn4(1200))).toBe(true);
    expect(clamper.clampIp(syn4(1460, 0x10))).toBe(false);
    const noOpt = ipv4Packet({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      protocol: 6,
      payload: tcpSegment({ srcPort: 1, dstPort: 2, flags: 2 }),
    });
    expect(clamper.clampIp(noOpt)).toBe(false);
    const frag = ipv4Packet({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      protocol: 6,
      payload: tcpSegment({ srcPort: 1, dstPort: 2, flags: 2, mss: 1460 }),
      fragmentOffset: 8,
    });
    expect(clamper.clampIp(frag)).toBe(false);
    const udp = ipv4Packet({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, payload: Buffer.alloc(40, 2) });
    expect(clamper.clampIp(udp)).toBe(false);
  });
});
