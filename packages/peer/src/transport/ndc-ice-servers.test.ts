import { describe, expect, it } from 'vitest';
import { ndcSupportsIceUrl, parseIceUrl, toNdcIceServers } from './ndc-ice-servers.js';

describe('ICE servers for libdatachannel', () => {
  it('keeps a TURN REST username with ":" intact by using a server object, not a URL with userinfo', () => {
    const r = toNdcIceServers([
      {
        urls: ['stun:stun.example.net:3478', 'turn:[2001:db8::1]:3479?transport=udp'],
        username: '1700000000:node-a',
        credential: 'c2VjcmV0',
      },
    ]);
    expect(r.servers).toEqual([
      'stun:stun.example.net:3478',
      {
        hostname: '2001:db8::1',
        port: 3479,
        username: '1700000000:node-a',
        password: 'c2VjcmV0',
        relayType: 'TurnUdp',
      },
    ]);
    expect(r.skipped).toEqual([]);
  });

  it('skips TURN over TCP and TLS (libjuice relays over UDP only) and reports why', () => {
    const r = toNdcIceServers([
      { urls: ['turn:relay.example.net?transport=tcp', 'turns:relay.example.net:443', 'http://x'] },
    ]);
    expect(r.servers).toEqual([]);
    expect(r.skipped.map((s) => s.url)).toEqual([
      'turn:relay.example.net?transport=tcp',
      'turns:relay.example.net:443',
      'http://x',
    ]);
    expect(ndcSupportsIceUrl('turn:relay.example.net')).toBe(true);
    expect(ndcSupportsIceUrl('turns:relay.example.net')).toBe(false);
  });

  it('applies default ports and rejects malformed URLs', () => {
    expect(parseIceUrl('turn:h')).toEqual({ scheme: 'turn', host: 'h', port: 3478, transport: 'udp' });
    expect(parseIceUrl('turns:h')).toMatchObject({ port: 5349, transport: 'tcp' });
    expect(parseIceUrl('turn:h:0')).toBeUndefined();
    expect(parseIceUrl('turn:h:99999')).toBeUndefined();
    expect(parseIceUrl('turn:user@h')).toBeUndefined();
  });
});
