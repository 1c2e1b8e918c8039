import { describe, expect, it } from 'vitest';
import { parseMac } from '../addr/mac.js';
import {
  arpPacket,
  ethernetFrame,
  ipv4Packet,
  ipv6Packet,
  neighborSolicitation,
  tcpSegment,
  udpDatagram,
} from '../builders/frames.js';
import { parseArp } from './arp.js';
import { parseDhcpAck } from './dhcp.js';
import { etherTypeOffset, parseEthernet } from './ethernet.js';
import { parseIpv4Header } from './ipv4.js';
import { parseIpv6Header } from './ipv6.js';
import { parseNeighborMessage } from './ndp.js';
import { parseIcmp, parseTcp, parseUdp } from './transport.js';

describe('parsers on real frames', () => {
  it('Ethernet with 0, 1 and 2 VLAN tags', () => {
    const plain = ethernetFrame({
      dst: 'ff:ff:ff:ff:ff:ff',
      src: '02:00:00:00:00:01',
      etherType: 0x0806,
      payload: Buffer.alloc(28),
    });
    expect(parseEthernet(plain)).toMatchObject({ etherType: 0x0806, payloadOffset: 14, vlanIds: [] });
    const tagged = ethernetFrame({
      dst: 'ff:ff:ff:ff:ff:ff',
      src: '02:00:00:00:00:01',
      etherType: 0x0800,
      payload: Buffer.alloc(20),
      vlanId: 100,
    });
    expect(parseEthernet(tagged)).toMatchObject({ etherType: 0x0800, payloadOffset: 18, vlanIds: [100] });
    // QinQ: 88a8 outer tag (vlan 5) + 8100 inner tag (vlan 6).
    const qinq = Buffer.from('ffffffffffff02000000000188a800058100000608000000', 'hex');
    expect(parseEthernet(qinq)).toMatchObject({ etherType: 0x0800, payloadOffset: 22, vlanIds: [5, 6] });
    expect(etherTypeOffset(Buffer.alloc(13))).toBe(-1);
    expect(etherTypeOffset(Buffer.from('ffffffffffff0200000000018100', 'hex'))).toBe(-1);
  });

  it('ARP', () => {
    const a = arpPacket({
      op: 1,
      senderMac: '02:00:00:00:00:01',
      senderIp: '10.0.0.1',
      targetMac: '00:00:00:00:00:00',
      targetIp: '10.0.0.2',
    });
    expect(parseArp(a, 0)).toEqual({
      op: 1,
      senderMac: parseMac('02:00:00:00:00:01'),
      senderIp: 0x0a000001,
      targetMac: 0,
      targetIp: 0x0a000002,
    });
    expect(parseArp(a.subarray(0, 27), 0)).toBeNull();
    const ipx = Buffer.from(a);
    ipx[2] = 0x81;
    expect(parseArp(ipx, 0)).toBeNull();
  });

  it('IPv4, UDP, TCP', () => {
    const p = ipv4Packet({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      protocol: 17,
      payload: udpDatagram(5353, 53, Buffer.from('hi')),
      ttl: 7,
    });
    expect(parseIpv4Header(p, 0)).toMatchObject({
      headerLength: 20,
      totalLength: 30,
      ttl: 7,
      protocol: 17,
      src: 0x0a000001,
      dst: 0x0a000002,
      payloadOffset: 20,
      end: 30,
    });
    expect(parseUdp(p, 20)).toEqual({ srcPort: 5353, dstPort: 53, length: 10, payloadOffset: 28 });
    expect(parseIpv4Header(p.subarray(0, 29), 0)).toBeNull(); // total length beyond the bytes
    const t = ipv4Packet({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      protocol: 6,
      payload: tcpSegment({ srcPort: 1, dstPort: 2, flags: 0x12, mss: 1400 }),
    });
    const echo = Buffer.from('0800f7fc00010002', 'hex');
    expect(parseIcmp(echo, 0)).toEqual({ type: 8, code: 0, checksum: 0xf7fc, rest: 0x00010002 });
    expect(parseIcmp(echo, 1)).toBeNull();
    expect(parseTcp(t, 20)).toMatchObject({
      srcPort: 1,
      dstPort: 2,
      flags: 0x12,
      headerLength: 24,
      mss: 1400,
    });
  });

  it('IPv6 with extension headers skipped, and bad chains rejected', () => {
    // Hop-by-hop (8 bytes, PadN) then destination options (8 bytes) then UDP.
    const hbh = Buffer.from('3c00010400000000', 'hex'); // next = 60 (dest opts)
    const dst = Buffer.from('1100010400000000', 'hex'); // next = 17 (UDP)
    const p = ipv6Packet({
      src: 'fd00::1',
      dst: 'fd00::2',
      nextHeader: 0,
      extensionHeaders: Buffer.concat([hbh, dst]),
      upperProtocol: 17,
      payload: udpDatagram(1, 2, Buffer.alloc(4)),
    });
    expect(parseIpv6Header(p, 0)).toMatchObject({
      nextHeader: 0,
      upperProtocol: 17,
      upperOffset: 56,
      end: p.length,
      fragmented: false,
    });
    // Fragment header with a non-zero offset: no upper-layer header in this packet.
    const frag = Buffer.from('1100001000000001', 'hex');
    const f = ipv6Packet({
      src: 'fd00::1',
      dst: 'fd00::2',
      nextHeader: 44,
      extensionHeaders: frag,
      upperProtocol: 17,
      payload: Buffer.alloc(8),
    });
    expect(parseIpv6Header(f, 0)).toMatchObject({
      upperProtocol: 17,
      fragmented: true,
      nonFirstFragment: true,
    });
    // An extension header claiming more bytes than the packet has.
    const long = ipv6Packet({
      src: 'fd00::1',
      dst: 'fd00::2',
      nextHeader: 0,
      extensionHeaders: Buffer.from('11ff000000000000', 'hex'),
      upperProtocol: 17,
      payload: Buffer.alloc(8),
    });
    expect(parseIpv6Header(long, 0)).toBeNull();
    // A chain of 9 destination-options headers.
    const chain = Buffer.concat(Array.from({ length: 9 }, () => Buffer.from('3c00000000000000', 'hex')));
    const c = ipv6Packet({
      src: 'fd00::1',
      dst: 'fd00::2',
      nextHeader: 60,
      extensionHeaders: chain,
      payload: Buffer.alloc(0),
    });
    expect(parseIpv6Header(c, 0)).toBeNull();
  });

  it('neighbour solicitation with a source link-layer address option', () => {
    const ns = neighborSolicitation('fd00::2', '02:00:00:00:00:01');
    expect(parseNeighborMessage(ns, 0, ns.length)).toMatchObject({
      type: 135,
      targetOffset: 8,
      linkLayerAddress: parseMac('02:00:00:00:00:01'),
    });
    const zeroLen = Buffer.from(ns);
    zeroLen[25] = 0;
    expect(parseNeighborMessage(zeroLen, 0, zeroLen.length)).toBeNull();
    expect(parseNeighborMessage(ns, 0, 23)).toBeNull();
  });

  it('DHCP ACK', () => {
    const bootp = Buffer.alloc(240 + 4);
    bootp[0] = 2;
    bootp[1] = 1;
    bootp[2] = 6;
    bootp.writeUInt32BE(0x0a000063, 16);
    Buffer.from('020000000063', 'hex').copy(bootp, 28);
    bootp.writeUInt32BE(0x63825363, 236);
    Buffer.from([53, 1, 5, 255]).copy(bootp, 240);
    expect(parseDhcpAck(bootp, 0, bootp.length)).toEqual({
      clientMac: parseMac('02:00:00:00:00:63'),
      yourIp: 0x0a000063,
    });
    bootp[242] = 2; // OFFER
    expect(parseDhcpAck(bootp, 0, bootp.length)).toBeNull();
  });
});
