import { type MacNumber, macAt } from '../addr/mac.js';
import { u32 } from '../bytes.js';

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
export const DHCPV6_CLIENT_PORT = 546;
export const DHCPV6_SERVER_PORT = 547;

const BOOTP_FIXED_LEN = 236;
const MAGIC_COOKIE = 0x63825363;
const OPT_PAD = 0;
const OPT_END = 255;
const OPT_MESSAGE_TYPE = 53;
const DHCPACK = 5;

export interface DhcpAck {
  readonly clientMac: MacNumber;
  /** yiaddr: the address the server gave the client. */
  readonly yourIp: number;
}

/**
 * Parses a DHCPv4 ACK (RFC 2131) from the UDP payload b[off, end): BOOTREPLY, Ethernet hardware
 * address, magic cookie, option 53 = 5. Null for anything else.
 */
export function parseDhcpAck(b: Uint8Array, off: number, end: number): DhcpAck | null {
  if (end - off < BOOTP_FIXED_LEN + 4) return null;
  if (b[off] !== 2 || b[off + 1] !== 1 || b[off + 2] !== 6) return null;
  if (u32(b, off + BOOTP_FIXED_LEN) !== MAGIC_COOKIE) return null;
  let p = off + BOOTP_FIXED_LEN + 4;
  while (p < end) {
    const code = b[p]!;
    if (code === OPT_END) break;
    if (code === OPT_PAD) {
      p++;
      continue;
    }
    if (p + 2 > end) return null;
    const len = b[p + 1]!;
    if (p + 2 + len > end) return null;
    if (code === OPT_MESSAGE_TYPE) {
      if (len !== 1 || b[p + 2] !== DHCPACK) return null;
      const yourIp = u32(b, off + 16);
      if (yourIp === 0) return null;
      return { clientMac: macAt(b, off + 28), yourIp };
    }
    p += 2 + len;
  }
  return null;
}
