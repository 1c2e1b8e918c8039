import { describe, expect, it } from 'vitest';
import { ipv4Packet, ipv6Packet, udpDatagram } from '../builders/frames.js';
import { DhcpGuard } from './dhcp-guard.js';

const dhcp4 = ipv4Packet({
  src: '0.0.0.0',
  dst: '255.255.255.255',
  protocol: 17,
  payload: udpDatagram(68, 67, Buffer.alloc(240)),
});
const dhcp6 = ipv6Packet({
  src: 'fe80::1',
  dst: 'ff02::1:2',
  nextHeader: 17,
  payload: udpDatagram(546, 547, Buffer.alloc(8)),
});
const dns4 = ipv4Packet({
  src: '10.0.0.1',
  dst: '10.0.0.2',
  protocol: 17,
  payload: udpDatagram(5353, 53, Buffer.alloc(12)),
});

describe('DhcpGuard', () => {
  it('blocks DHCP and DHCPv6 only while blockDhcp is on, and follows a live change', () => {
    const opts = { blockDhcp: false };
    const g = new DhcpGuard({ learnV4: () => {}, learnV6: () => {} }, opts);
    expect(g.udpIpv4(dhcp4, 0, true, 0)).toBe(false);
    expect(g.blocksIpv6(dhcp6, 0)).toBe(false);
    opts.blockDhcp = true;
    expect(g.udpIpv4(dhcp4, 0, true, 0)).toBe(true);
    expect(g.blocksIpv6(dhcp6, 0)).toBe(true);
    expect(g.udpIpv4(dns4, 0, true, 0)).toBe(false);
  });
});
