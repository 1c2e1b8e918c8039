import { networkInterfaces } from 'node:os';
import { expect, test } from 'vitest';
import { interfaceFacts, parseDefaultGateways } from './host-facts.js';

test('default gateways from /proc/net/route and /proc/net/ipv6_route', () => {
  const route4 = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'eth0\t00000000\t0102000A\t0003\t0\t0\t0\t00000000\t0\t0\t0',
    'eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
  ].join('\n');
  const route6 = [
    '00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0',
    '20010db8000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth0',
  ].join('\n');
  expect(parseDefaultGateways(route4, route6)).toEqual(['10.0.2.1', 'fe80::1']);
  expect(parseDefaultGateways('', '')).toEqual([]);
});

test('the overlay device is not part of the host facts; loopback never is', () => {
  const all = interfaceFacts([]);
  expect(all.addresses).not.toContain('127.0.0.1');
  expect(interfaceFacts(Object.keys(networkInterfaces())).addresses).toEqual([]);
});
