// IP address text <-> bytes. Own code (no dependency): strict parsing, RFC 5952 formatting.

/** An IPv4 address as an unsigned 32-bit number. */
export type Ipv4Number = number;

const V4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function parseIpv4(s: string): Ipv4Number | null {
  if (!V4_RE.test(s)) return null;
  const p = s.split('.');
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

export function ipv4ToString(a: Ipv4Number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

/** Parses an IPv6 address (with '::' and an optional trailing dotted IPv4) into 16 bytes, or null. */
export function parseIpv6(s: string): Uint8Array | null {
  if (s.length < 2 || s.length > 45) return null;
  let text = s;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (lastColon < 0) return null;
  if (text.indexOf('.', lastColon) !== -1) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    tail.push(v4 >>> 16, v4 & 0xffff);
    // Keep a '::' that ends right before the dotted part; otherwise drop the separating ':'.
    text = text[lastColon - 1] === ':' ? text.slice(0, lastColon + 1) : text.slice(0, lastColon);
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = parseGroups(halves[0]!);
  const rest = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (head === null || rest === null) return null;
  const explicit = head.length + rest.length + tail.length;
  let groups: number[];
  if (halves.length === 2) {
    if (explicit > 7) return null;
    groups = [...head, ...new Array<number>(8 - explicit).fill(0), ...rest, ...tail];
  } else {
    if (explicit !== 8) return null;
    groups = [...head, ...tail];
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i]! >>> 8;
    out[2 * i + 1] = groups[i]! & 0xff;
  }
  return out;
}

/** RFC 5952 text form: lower case, longest run (>= 2) of zero groups compressed, leftmost on a tie. */
export function ipv6ToString(b: Uint8Array, o = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[o + 2 * i]! << 8) | b[o + 2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    g
      .slice(from, to)
      .map((x) => x.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

export type IpFamily = 4 | 6;

/** A parsed IP prefix: network bytes (4 or 16, host bits cleared) and length. */
export interface IpPrefix {
  readonly family: IpFamily;
  readonly bytes: Uint8Array;
  readonly length: number;
}

/**
 * Parses 'a.b.c.d/len', 'x::y/len' or a bare address (= host prefix). Host bits are cleared, so
 * '10.1.2.3/24' means 10.1.2.0/24. Returns null on bad input.
 */
export function parsePrefix(s: string): IpPrefix | null {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const lenText = slash < 0 ? null : s.slice(slash + 1);
  if (lenText !== null && !/^\d{1,3}$/.test(lenText)) return null;
  let bytes: Uint8Array;
  let family: IpFamily;
  const v4 = parseIpv4(addr);
  if (v4 !== null) {
    family = 4;
    bytes = new Uint8Array([v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff]);
  } else {
    const v6 = parseIpv6(addr);
    if (v6 === null) return null;
    family = 6;
    bytes = v6;
  }
  const max = family === 4 ? 32 : 128;
  const length = lenText === null ? max : Number(lenText);
  if (length > max) return null;
  for (let bit = length; bit < max; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { family, bytes, length };
}

export function prefixToString(p: IpPrefix): string {
  const a =
    p.family === 4
      ? ipv4ToString(((p.bytes[0]! << 24) | (p.bytes[1]! << 16) | (p.bytes[2]! << 8) | p.bytes[3]!) >>> 0)
      : ipv6ToString(p.bytes);
  return `${a}/${p.length}`;
}

/** Parses an address of either family into 4 or 16 bytes, or null. */
export function parseIp(s: string): Uint8Array | null {
  const v4 = parseIpv4(s);
  if (v4 !== null) return new Uint8Array([v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff]);
  return parseIpv6(s);
}
