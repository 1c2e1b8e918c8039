import { urlHost } from '@rtcmesh/protocol';
import { expect, test } from 'vitest';
import { protectedServerAddresses } from './own-addresses.js';

test('the host of public, STUN and TURN URLs', () => {
  expect(urlHost('https://10.0.0.1:8443/x')).toBe('10.0.0.1');
  expect(urlHost('http://[2001:db8::1]:80')).toBe('2001:db8::1');
  expect(urlHost('turn:192.0.2.7:3478?transport=tcp')).toBe('192.0.2.7');
  expect(urlHost('turns:[2001:db8::9]:5349')).toBe('2001:db8::9');
  expect(urlHost('stun:stun.example.net')).toBe('stun.example.net');
  expect(urlHost('not a url')).toBeUndefined();
});

test('literal addresses of the server and its TURN servers are protected; names and 0.0.0.0 are not listed', () => {
  const list = protectedServerAddresses({
    host: '0.0.0.0',
    publicUrl: 'https://signal.example.net',
    stun: ['stun:192.0.2.7:3478'],
    turn: ['turn:192.0.2.8:3478?transport=udp', 'turns:[2001:db8::9]:5349'],
  });
  expect(list).toEqual(expect.arrayContaining(['192.0.2.7', '192.0.2.8', '2001:db8::9']));
  expect(list).not.toContain('0.0.0.0');
  expect(list).not.toContain('127.0.0.1');
});
