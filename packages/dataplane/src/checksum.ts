// Internet checksum (RFC 1071), pseudo headers (RFC 768/793 for IPv4, RFC 8200 §8.1 for IPv6) and the
// incremental update of RFC 1624. Sums are plain numbers: a 1500-byte packet sums to < 2^26, no overflow.

/** Sum of 16-bit big-endian words over b[start, end) (odd last byte padded with zero), plus `initial`. */
export function onesSum(b: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < end) sum += b[i]! << 8;
  return sum;
}

export function foldSum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** The checksum to store: one's complement of the folded sum. */
export function finishChecksum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

export function internetChecksum(b: Uint8Array, start: number, end: number, initial = 0): number {
  return finishChecksum(onesSum(b, start, end, initial));
}

/** IPv4 pseudo header sum: source, destination (taken from the IPv4 header at ipOff), protocol, length. */
export function pseudoSum4(b: Uint8Array, ipOff: number, proto: number, l4Len: number): number {
  return onesSum(b, ipOff + 12, ipOff + 20, proto + l4Len);
}

/** IPv6 pseudo header sum: source, destination (from the IPv6 header at ipOff), upper-layer length, next header. */
export function pseudoSum6(b: Uint8Array, ipOff: number, proto: number, l4Len: number): number {
  return onesSum(b, ipOff + 8, ipOff + 40, proto + (l4Len >>> 16) + (l4Len & 0xffff));
}

/** IPv4 header checksum of the header at off (the checksum field is treated as zero). */
export function ipv4HeaderChecksum(b: Uint8Array, off: number): number {
  const hl = (b[off]! & 0x0f) * 4;
  const stored = (b[off + 10]! << 8) | b[off + 11]!;
  return finishChecksum(onesSum(b, off, off + hl) - stored);
}

/** True when the data including its checksum field sums to 0xffff (the RFC 1071 verification). */
export function verifiesWith(sum: number): boolean {
  return foldSum(sum) === 0xffff;
}

/** Checksum of the TCP/UDP/ICMPv6 segment at l4Off (its checksum field must be zero). */
export function transportChecksum4(
  b: Uint8Array,
  ipOff: number,
  l4Off: number,
  l4Len: number,
  proto: number,
): number {
  return finishChecksum(onesSum(b, l4Off, l4Off + l4Len, pseudoSum4(b, ipOff, proto, l4Len)));
}

export function transportChecksum6(
  b: Uint8Array,
  ipOff: number,
  l4Off: number,
  l4Len: number,
  proto: number,
): number {
  return finishChecksum(onesSum(b, l4Off, l4Off + l4Len, pseudoSum6(b, ipOff, proto, l4Len)));
}

/** True when the segment's stored checksum is right. */
export function verifyTransport4(
  b: Uint8Array,
  ipOff: number,
  l4Off: number,
  l4Len: number,
  proto: number,
): boolean {
  return verifiesWith(onesSum(b, l4Off, l4Off + l4Len, pseudoSum4(b, ipOff, proto, l4Len)));
}

export function verifyTransport6(
  b: Uint8Array,
  ipOff: number,
  l4Off: number,
  l4Len: number,
  proto: number,
): boolean {
  return verifiesWith(onesSum(b, l4Off, l4Off + l4Len, pseudoSum6(b, ipOff, proto, l4Len)));
}

/**
 * RFC 1624 eqn. 3: the new checksum after one 16-bit word of the covered data changes from oldWord to
 * newWord: HC' = ~(~HC + ~m + m').
 */
export function updateChecksum16(checksum: number, oldWord: number, newWord: number): number {
  return ~foldSum((~checksum & 0xffff) + (~oldWord & 0xffff) + newWord) & 0xffff;
}
