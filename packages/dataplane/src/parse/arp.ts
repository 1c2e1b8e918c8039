import { type MacNumber, macAt } from '../addr/mac.js';
import { u16, u32 } from '../bytes.js';

/** ARP for Ethernet/IPv4 (RFC 826): 28 bytes. */
export const ARP_LEN = 28;
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;

export interface ArpPacket {
  readonly op: number;
  readonly senderMac: MacNumber;
  readonly senderIp: number;
  readonly targetMac: MacNumber;
  readonly targetIp: number;
}

/**
 * True when b[off] holds an Ethernet/IPv4 ARP packet (htype 1, ptype 0x0800, hlen 6, plen 4) with all
 * 28 bytes present. Other ARP flavours are forwarded untouched but never learned from or answered.
 */
export function isEthIpv4Arp(b: Uint8Array, off: number, end: number = b.length): boolean {
  return (
    end - off >= ARP_LEN &&
    u16(b, off) === 1 &&
    u16(b, off + 2) === 0x0800 &&
    b[off + 4] === 6 &&
    b[off + 5] === 4
  );
}

export function parseArp(b: Uint8Array, off: number, end: number = b.length): ArpPacket | null {
  if (!isEthIpv4Arp(b, off, end)) return null;
  return {
    op: u16(b, off + 6),
    senderMac: macAt(b, off + 8),
    senderIp: u32(b, off + 14),
    targetMac: macAt(b, off + 18),
    targetIp: u32(b, off + 24),
  };
}
