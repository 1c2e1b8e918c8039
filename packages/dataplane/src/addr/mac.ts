import { u16, u32 } from '../bytes.js';

/**
 * A MAC address as a number (48 bits fit exactly in a double). Numbers make O(1) Map keys without
 * allocating a string per frame.
 */
export type MacNumber = number;

export const BROADCAST_MAC: MacNumber = 0xffff_ffff_ffff;

/** Reads the 6-byte MAC at b[o]. The caller guarantees o + 6 <= b.length. */
export function macAt(b: Uint8Array, o: number): MacNumber {
  return u16(b, o) * 0x1_0000_0000 + u32(b, o + 2);
}

export function writeMac(b: Uint8Array, o: number, mac: MacNumber): void {
  const hi = Math.floor(mac / 0x1_0000_0000);
  const lo = mac >>> 0;
  b[o] = (hi >>> 8) & 0xff;
  b[o + 1] = hi & 0xff;
  b[o + 2] = (lo >>> 24) & 0xff;
  b[o + 3] = (lo >>> 16) & 0xff;
  b[o + 4] = (lo >>> 8) & 0xff;
  b[o + 5] = lo & 0xff;
}

/** Group bit (I/G) of the first octet: broadcast and multicast. */
export function isGroupMac(mac: MacNumber): boolean {
  return Math.floor(mac / 0x100_0000_0000) % 2 === 1;
}

/** Same as isGroupMac, read straight from the frame. */
export function isGroupMacAt(b: Uint8Array, o: number): boolean {
  return (b[o]! & 1) === 1;
}

/** 'aa:bb:cc:dd:ee:ff' (lower case). */
export function macToString(mac: MacNumber): string {
  const s = mac.toString(16).padStart(12, '0');
  return `${s.slice(0, 2)}:${s.slice(2, 4)}:${s.slice(4, 6)}:${s.slice(6, 8)}:${s.slice(8, 10)}:${s.slice(10, 12)}`;
}

const MAC_RE = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

/** Parses 'aa:bb:cc:dd:ee:ff' or 'aa-bb-...'; returns null when it is not a MAC address. */
export function parseMac(s: string): MacNumber | null {
  if (!MAC_RE.test(s)) return null;
  return Number.parseInt(s.replace(/[:-]/g, ''), 16);
}
