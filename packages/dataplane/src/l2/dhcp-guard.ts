import { u16 } from '../bytes.js';
import {
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  DHCPV6_CLIENT_PORT,
  DHCPV6_SERVER_PORT,
  parseDhcpAck,
} from '../parse/dhcp.js';
import { ipv4PacketLength, PROTO_UDP } from '../parse/ipv4.js';
import { newIpv6Upper, walkIpv6 } from '../parse/ipv6.js';
import type { LocalAddressSink } from './neighbor-suppression.js';

/**
 * DHCP on a stretched segment: a DHCP server's ACK on the device teaches the switch the address it
 * leased (a host that never ARPs is still known), and with `blockDhcp` DHCP and DHCPv6 stay on their
 * own site (one site's server must not answer another site's clients).
 */
export class DhcpGuard {
  readonly #v6 = newIpv6Upper();

  constructor(
    private readonly sink: LocalAddressSink,
    private readonly opts: { blockDhcp: boolean },
  ) {}

  /** IPv4/UDP at `ip`: learns from a DHCP ACK on the device. True when the frame must be dropped. */
  udpIpv4(frame: Buffer, ip: number, fromLocal: boolean, nowMs: number): boolean {
    const total = ipv4PacketLength(frame, ip);
    if (total < 0 || (u16(frame, ip + 6) & 0x1fff) !== 0) return false;
    const udp = ip + (frame[ip]! & 0x0f) * 4;
    const end = ip + total;
    if (udp + 8 > end) return false;
    const sp = u16(frame, udp);
    const dp = u16(frame, udp + 2);
    const dhcp =
      (sp === DHCP_SERVER_PORT && dp === DHCP_CLIENT_PORT) ||
      (sp === DHCP_CLIENT_PORT && dp === DHCP_SERVER_PORT);
    if (!dhcp) return false;
    if (fromLocal && sp === DHCP_SERVER_PORT) {
      const ack = parseDhcpAck(frame, udp + 8, end);
      if (ack !== null) this.sink.learnV4(ack.clientMac, ack.yourIp, nowMs);
    }
    return this.opts.blockDhcp;
  }

  /** IPv6 at `ip`: true for DHCPv6 that must be dropped (blockDhcp). */
  blocksIpv6(frame: Buffer, ip: number): boolean {
    if (!this.opts.blockDhcp) return false;
    const u = this.#v6;
    if (!walkIpv6(frame, ip, frame.length, u) || u.proto !== PROTO_UDP || u.nonFirstFragment) return false;
    if (u.offset + 8 > u.end) return false;
    const sp = u16(frame, u.offset);
    const dp = u16(frame, u.offset + 2);
    return (
      (sp === DHCPV6_CLIENT_PORT && dp === DHCPV6_SERVER_PORT) ||
      (sp === DHCPV6_SERVER_PORT && dp === DHCPV6_CLIENT_PORT)
    );
  }
}
