import { describe, expect, it } from 'vitest';
import { internetChecksum, verifyTransport6 } from '../checksum.js';
import { echoReplyFrame, echoReplyPacket } from './echo-reply.js';
import { ethernetFrame, icmpEcho, ipv4Packet, ipv6Packet } from './frames.js';

describe('echo replies for fake remote hosts', () => {
  it('answers an IPv4 ping inside a tagged frame', () => {
    const req = ethernetFrame({
      dst: '02:00:00:00:00:0b',
      src: '02:00:00:00:00:0a',
      etherType: 0x0800,
      vlanId: 9,
      payload: ipv4Packet({
        src: '10.0.0.10',
        dst: '10.0.0.11',
        protocol: 1,
        payload: icmpEcho(7, 3, Buffer.from('ping')),
      }),
    });
    const rep = echoReplyFrame(req)!;
    expect(rep.subarray(0, 12).toString('hex')).toBe('02000000000a02000000000b');
    expect(rep.readUInt16BE(12)).toBe(0x8100);
    const ip = 18;
    expect(rep.subarray(ip + 12, ip + 20).toString('hex')).toBe('0a00000b0a00000a');
    expect(internetChecksum(rep, ip, ip + 20)).toBe(0);
    expect(rep[ip + 20]).toBe(0);
    expect(internetChecksum(rep, ip + 20, rep.length)).toBe(0);
    expect(rep.subarray(ip + 24).equals(req.subarray(ip + 24))).toBe(true); // id, seq, data kept
  });

  it('answers an ICMPv6 echo request and ignores other packets', () => {
    const req = ipv6Packet({
      src: 'fd00::a',
      dst: 'fd00::b',
      nextHeader: 58,
      payload: Buffer.from('80000000000100016869', 'hex'),
    });
    const rep = echoReplyPacket(req)!;
    expect(rep[40]).toBe(129);
    expect(verifyTransport6(rep, 0, 40, rep.length - 40, 58)).toBe(true);
    expect(echoReplyPacket(rep)).toBeNull();
    expect(echoReplyPacket(Buffer.alloc(3))).toBeNull();
  });
});
