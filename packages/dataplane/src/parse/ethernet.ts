import { type MacNumber, macAt } from '../addr/mac.js';
import { u16 } from '../bytes.js';

export const ETH_HEADER_LEN = 14;
export const VLAN_TAG_LEN = 4;
/** At most this many stacked VLAN tags are looked through (802.1ad QinQ = 2). */
export const MAX_VLAN_TAGS = 2;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;

/**
 * Offset of the (inner) EtherType field, after up to MAX_VLAN_TAGS 802.1Q/802.1ad tags, or -1 when the
 * frame is too short. The payload starts 2 bytes later.
 */
export function etherTypeOffset(frame: Uint8Array): number {
  let o = 12;
  for (let tags = 0; ; tags++) {
    if (frame.length < o + 2) return -1;
    const t = u16(frame, o);
    if ((t !== ETHERTYPE_VLAN && t !== ETHERTYPE_QINQ) || tags === MAX_VLAN_TAGS) return o;
    o += VLAN_TAG_LEN;
  }
}

export interface EthernetHeader {
  readonly dst: MacNumber;
  readonly src: MacNumber;
  /** VLAN ids of the tags, outermost first (empty when untagged). */
  readonly vlanIds: readonly number[];
  readonly etherType: number;
  readonly payloadOffset: number;
}

/** Convenience parser (allocates; the engines use etherTypeOffset/macAt instead). Null when truncated. */
export function parseEthernet(frame: Uint8Array): EthernetHeader | null {
  const typeOff = etherTypeOffset(frame);
  if (typeOff < 0) return null;
  const vlanIds: number[] = [];
  for (let o = 12; o < typeOff; o += VLAN_TAG_LEN) vlanIds.push(u16(frame, o + 2) & 0x0fff);
  return {
    dst: macAt(frame, 0),
    src: macAt(frame, 6),
    vlanIds,
    etherType: u16(frame, typeOff),
    payloadOffset: typeOff + 2,
  };
}
