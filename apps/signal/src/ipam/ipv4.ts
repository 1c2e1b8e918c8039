/** IPv4 address arithmetic for the address pool. Addresses as unsigned 32-bit numbers. */

export type Ipv4Cidr = { network: number; prefix: number };

export function ipv4ToNumber(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

export function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses "a.b.c.d/p". Returns null if malformed. Host bits are cleared. */
export function parseIpv4Cidr(cidr: string): Ipv4Cidr | null {
  const [ip, len, extra] = cidr.split('/');
  if (ip === undefined || len === undefined || extra !== undefined || !/^\d{1,2}$/.test(len)) return null;
  const addr = ipv4ToNumber(ip);
  const prefix = Number(len);
  if (addr === null || prefix > 32) return null;
  return { network: (addr & maskOf(prefix)) >>> 0, prefix };
}

function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function formatCidr(c: Ipv4Cidr): string {
  return `${numberToIpv4(c.network)}/${c.prefix}`;
}

/** First and last assignable host (network and broadcast addresses excluded). */
export function hostRange(c: Ipv4Cidr): { first: number; last: number } {
  const size = 2 ** (32 - c.prefix);
  return { first: c.network + 1, last: c.network + size - 2 };
}
