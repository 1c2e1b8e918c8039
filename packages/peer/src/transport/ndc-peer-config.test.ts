import { describe, expect, it } from 'vitest';
import { CandidateAddressFilter } from '../address-filter.js';
import { NDC_MTU_OVERHEAD, ndcPeerConfig } from './ndc-peer-config.js';

const base = {
  iceServers: [
    { urls: ['stun:stun.example.net', 'turns:relay.example.net'], username: 'u', credential: 'p' },
  ],
  plan: { policy: 'all' as const, turnIndex: 0 },
  sctpMtu: 1330,
  icePortRange: undefined,
  addressFilter: new CandidateAddressFilter(),
};

describe('ndcPeerConfig', () => {
  it("turns werift's SCTP packet size into libdatachannel's IP MTU; offers only when asked", () => {
    const { config, skipped } = ndcPeerConfig(base);
    expect(NDC_MTU_OVERHEAD).toBe(96);
    expect(config).toStrictEqual({
      iceServers: ['stun:stun.example.net:3478'],
      iceTransportPolicy: 'all',
      disableAutoNegotiation: true,
      mtu: 1426,
    });
    expect(skipped).toEqual([
      { url: 'turns:relay.example.net', reason: 'libdatachannel (libjuice) relays over UDP only' },
    ]);
  });

  it('relays only on a relay plan; passes the port range and the bind address when there are any', () => {
    const { config } = ndcPeerConfig({
      ...base,
      plan: { policy: 'relay', turnIndex: 0 },
      icePortRange: [40000, 40100],
      addressFilter: new CandidateAddressFilter({ bindAddress: '127.0.0.1' }),
    });
    expect(config.iceTransportPolicy).toBe('relay');
    expect(config.portRangeBegin).toBe(40000);
    expect(config.portRangeEnd).toBe(40100);
    expect(config.bindAddress).toBe('127.0.0.1');
    expect(
      ndcPeerConfig({ ...base, plan: { policy: 'direct', turnIndex: 0 } }).config.iceTransportPolicy,
    ).toBe('all');
  });
});
