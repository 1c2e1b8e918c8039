import { describe, expect, it } from 'vitest';
import { ipv4ToString, ipv6ToString, parseIpv4, parseIpv6, parsePrefix, prefixToString } from './ip.js';
import { isGroupMac, macAt, macToString, parseMac, writeMac } from './mac.js';

describe('MAC addresses', () => {
  it('round-trips text, number and bytes', () => {
    const m = parseMac('02:1A:2b:3c:4d:5e')!;
    expect(macToString(m)).toBe('02:1a:2b:3c:4d:5e');
    const b = new Uint8Array(8);
    writeMac(b, 1, m);
    expect([...b]).toEqual([0, 0x02, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0]);
    expect(macAt(b, 1)).toBe(m);
    expect(macToString(parseMac('ff:ff:ff:ff:ff:ff')!)).toBe('ff:ff:ff:ff:ff:ff');
  });
  it('rejects malformed text and knows group addresses', () => {
    for (const s of ['', '02:00:00:00:00', '02:00:00:00:00:0g', '02:00-00:00:00:00', '020000000000']) {
      expect(parseMac(s)).toBeNull();
    }
    expect(isGroupMac(parseMac('01:00:5e:00:00:01')!)).toBe(true);
    expect(isGroupMac(parseMac('33:33:00:00:00:01')!)).toBe(true);
    expect(isGroupMac(parseMac('02:00:00:00:00:01')!)).toBe(false);
  });
});

describe('IP addresses', () => {
  it('parses and prints IPv4 strictly', () => {
    expect(parseIpv4('10.1.2.3')).toBe(0x0a010203);
    expect(ipv4ToString(0xc0a80001)).toBe('192.168.0.1');
    for (const s of ['10.1.2', '10.1.2.256', '01.1.1.1', '1.1.1.1 ', 'a.b.c.d'])
      expect(parseIpv4(s)).toBeNull();
  });
  it('parses IPv6 forms and prints RFC 5952 text', () => {
    const cases: [string, string][] = [
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::1:0:0:2', 'fe80::1:0:0:2'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8::0:1', '2001:db8::1'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
      ['::ffff:10.0.0.1', '::ffff:a00:1'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ];
    for (const [input, out] of cases) expect(ipv6ToString(parseIpv6(input)!)).toBe(out);
    for (const s of [':::', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::', '1.2.3.4', '::1.2.3', ':1']) {
      expect(parseIpv6(s)).toBeNull();
    }
  });
  it('parses prefixes and clears host bits', () => {
    expect(prefixToString(parsePrefix('10.1.2.3/24')!)).toBe('10.1.2.0/24');
    expect(prefixToString(parsePrefix('10.1.2.3')!)).toBe('10.1.2.3/32');
    expect(prefixToString(parsePrefix('2001:db8::ffff/64')!)).toBe('2001:db8::/64');
    expect(prefixToString(parsePrefix('0.0.0.0/0')!)).toBe('0.0.0.0/0');
    for (const s of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/-1', 'x/8'])
      expect(parsePrefix(s)).toBeNull();
  });
});
