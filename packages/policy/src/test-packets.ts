// Packet builders for the policy tests (allocate freely: tests only).
import { icmpEcho, ipv4Packet, ipv6Packet, tcpSegment, udpDatagram } from '@rtcmesh/dataplane';

export const TCP_SYN = 0x02;
export const TCP_ACK = 0x10;

export function tcp4(src: string, dst: string, sport: number, dport: number, flags = TCP_SYN): Buffer {
  return ipv4Packet({
    src,
    dst,
    protocol: 6,
    payload: tcpSegment({ srcPort: sport, dstPort: dport, flags }),
  });
}
export function udp4(src: string, dst: string, sport: number, dport: number): Buffer {
  return ipv4Packet({ src, dst, protocol: 17, payload: udpDatagram(sport, dport, new Uint8Array(4)) });
}
export function tcp6(src: string, dst: string, sport: number, dport: number, flags = TCP_SYN): Buffer {
  return ipv6Packet({
    src,
    dst,
    nextHeader: 6,
    payload: tcpSegment({ srcPort: sport, dstPort: dport, flags }),
  });
}
/** ICMP echo request (type 8) or reply (type 0). */
export function echo4(src: string, dst: string, id: number, reply = false): Buffer {
  const icmp = icmpEcho(id, 1);
  if (reply) icmp[0] = 0;
  return ipv4Packet({ src, dst, protocol: 1, payload: icmp });
}
/** ICMP destination unreachable from `src` quoting `original` (the first 28 bytes). */
export function unreachable4(src: string, dst: string, original: Uint8Array): Buffer {
  const body = new Uint8Array(8 + 28);
  body[0] = 3;
  body[1] = 3;
  body.set(original.subarray(0, 28), 8);
  return ipv4Packet({ src, dst, protocol: 1, payload: body });
}
