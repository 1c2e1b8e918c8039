import { describe, expect, it } from 'vitest';
import { NetDevInvalidArgumentError } from './errors.js';
import {
  parseCidr,
  validateInterfaceName,
  validateIp,
  validateMac,
  validateMtu,
  validateNetnsName,
} from './validate.js';

describe('validateInterfaceName', () => {
  it('accepts kernel-valid names, including a %d template', () => {
    for (const n of ['tap0', 'rtc-mesh.1', 'tun%d', 'a'.repeat(15)]) expect(validateInterfaceName(n)).toBe(n);
  });
  it.each(['', 'a'.repeat(16), '.', '..', 'a/b', 'a:b', 'a b', 'tüp', 42, undefined])('rejects %j', (n) => {
    expect(() => validateInterfaceName(n)).toThrow(NetDevInvalidArgumentError);
  });
});

describe('validateMtu', () => {
  it('accepts 68..65535', () => {
    expect(validateMtu(68)).toBe(68);
    expect(validateMtu(1280)).toBe(1280);
    expect(validateMtu(65535)).toBe(65535);
  });
  it.each([67, 65536, 1280.5, Number.NaN, '1280', -1])('rejects %j', (m) => {
    expect(() => validateMtu(m)).toThrow(/mtu must be an integer in 68\.\.65535/);
  });
});

describe('validateMac', () => {
  it('accepts a unicast MAC and lower-cases it', () => {
    expect(validateMac('02:AA:bb:00:00:01')).toBe('02:aa:bb:00:00:01');
  });
  it('rejects malformed, multicast and all-zero MACs', () => {
    expect(() => validateMac('02:aa:bb:00:00')).toThrow(/must look like/);
    expect(() => validateMac('02-aa-bb-00-00-01')).toThrow(/must look like/);
    expect(() => validateMac('01:00:5e:00:00:01')).toThrow(/multicast/);
    expect(() => validateMac('00:00:00:00:00:00')).toThrow(/not a usable/);
  });
});

describe('parseCidr', () => {
  it('parses IPv4 and IPv6 CIDRs', () => {
    expect(parseCidr('10.0.0.1/24')).toEqual({
      family: 4,
      address: '10.0.0.1',
      prefixLength: 24,
      text: '10.0.0.1/24',
    });
    expect(parseCidr('fd00::1/64')).toMatchObject({ family: 6, prefixLength: 64 });
    expect(parseCidr('0.0.0.0/0').prefixLength).toBe(0);
    expect(parseCidr('::/0').family).toBe(6);
  });
  it.each([
    '10.0.0.1',
    '10.0.0.1/33',
    'fd00::1/129',
    '10.0.0/24',
    'x/24',
    '10.0.0.1/',
    '/24',
    '10.0.0.1/2a',
    7,
  ])('rejects %j with a clear error', (c) => {
    expect(() => parseCidr(c)).toThrow(NetDevInvalidArgumentError);
  });
});

describe('other validators', () => {
  it('validateIp accepts only IP addresses', () => {
    expect(validateIp('fe80::1')).toBe('fe80::1');
    expect(() => validateIp('gateway')).toThrow(/IPv4 or IPv6/);
  });
  it('validateNetnsName refuses path tricks', () => {
    expect(validateNetnsName('rtcmesh-1')).toBe('rtcmesh-1');
    expect(() => validateNetnsName('../etc')).toThrow(NetDevInvalidArgumentError);
    expect(() => validateNetnsName('..')).toThrow(NetDevInvalidArgumentError);
  });
});
