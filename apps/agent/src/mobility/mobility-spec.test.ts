import { describe, expect, test } from 'vitest';
import { anycastMac, inPrefix, parseMobilitySpec } from './mobility-spec.js';

describe('--mobility', () => {
  test('defaults: the first host is the gateway, the MAC is the same wherever the prefix is', () => {
    const s = parseMobilitySpec('br-mob=10.50.0.0/24');
    expect(s).toEqual({
      bridge: 'br-mob',
      prefix: '10.50.0.0/24',
      gateway: '10.50.0.1',
      mac: anycastMac('10.50.0.0/24'),
    });
    expect(anycastMac('10.50.0.0/24')).toMatch(/^02:/);
    expect(anycastMac('10.50.0.0/24')).not.toBe(anycastMac('10.51.0.0/24'));
  });

  test('gateway and mac can be given', () => {
    expect(parseMobilitySpec('br0=10.50.0.0/24,gateway=10.50.0.254,mac=02:AA:00:00:00:01')).toMatchObject({
      gateway: '10.50.0.254',
      mac: '02:aa:00:00:00:01',
    });
  });

  test.each([
    ['br0', /expected/],
    ['br0=10.50.0.1/24', /host bits/],
    ['br0=fd00::/64', /IPv4/],
    ['br0=10.0.0.0/8', /\/16 to \/30/],
    ['br0=10.50.0.0/24,gateway=10.51.0.1', /inside/],
    ['br0=10.50.0.0/24,gateway=10.50.0.255', /broadcast/],
    ['br0=10.50.0.0/24,mac=01:00:00:00:00:01', /unicast/],
    ['br0=10.50.0.0/24,vlan=3', /unknown option/],
    ['this-name-is-too-long=10.50.0.0/24', /interface name/],
  ])('%s is refused with the reason', (value, reason) => {
    expect(() => parseMobilitySpec(value)).toThrow(reason);
  });

  test('inPrefix', () => {
    expect(inPrefix('10.50.0.5', '10.50.0.0/24')).toBe(true);
    expect(inPrefix('10.51.0.5', '10.50.0.0/24')).toBe(false);
    expect(inPrefix('garbage', '10.50.0.0/24')).toBe(false);
  });
});
