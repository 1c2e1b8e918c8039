import { describe, expect, it } from 'vitest';
import { CandidateAddressFilter } from '../address-filter.js';
import { PACKET_PAYLOAD_TYPE } from '../packet-track.js';
import { weriftPeerConfig } from './werift-peer-config.js';

const base = {
  iceServers: [{ urls: 'turn:relay.example.net?transport=tcp', username: 'u', credential: 'p' }],
  plan: { policy: 'all' as const, turnIndex: 0 },
  sctpMtu: 1330,
  icePortRange: [40000, 40100] as [number, number],
  packetTrack: true,
  addressFilter: new CandidateAddressFilter({
    excludeCidrs: ['100.64.0.0/10'],
    additionalHostAddresses: ['100.64.0.5', '10.0.0.1'],
  }),
};

type Pair = Parameters<NonNullable<ReturnType<typeof weriftPeerConfig>['iceFilterCandidatePair']>>[0];
const pair = (local: string, remote: string) =>
  ({ localCandidate: { host: local }, remoteCandidate: { host: remote } }) as unknown as Pair;

describe('weriftPeerConfig', () => {
  it('passes ICE servers, port range and SCTP packet size as they are; host addresses minus excluded ones', () => {
    const config = weriftPeerConfig(base);
    expect(config.iceServers).toBe(base.iceServers);
    expect(config.iceTransportPolicy).toBe('all');
    expect(config.icePortRange).toEqual([40000, 40100]);
    expect(config.iceAdditionalHostAddresses).toEqual(['10.0.0.1']);
    expect(config.sctp).toEqual({ mtu: 1330 });
    expect(weriftPeerConfig({ ...base, plan: { policy: 'relay', turnIndex: 0 } }).iceTransportPolicy).toBe(
      'relay',
    );
  });

  it('never pairs an excluded (overlay) address, on either end', () => {
    const filterPair = weriftPeerConfig(base).iceFilterCandidatePair!;
    expect(filterPair(pair('192.0.2.1', '198.51.100.1'))).toBe(true);
    expect(filterPair(pair('100.64.0.5', '198.51.100.1'))).toBe(false);
    expect(filterPair(pair('192.0.2.1', '100.100.0.1'))).toBe(false);
  });

  it('offers only the packet codec (no RTCP feedback) and no header extensions; no codec without the track', () => {
    const config = weriftPeerConfig(base);
    expect(config.codecs?.audio).toEqual([]);
    expect(config.codecs?.video).toHaveLength(1);
    expect(config.codecs?.video?.[0]).toMatchObject({
      mimeType: 'video/rtcmesh',
      clockRate: 90_000,
      payloadType: PACKET_PAYLOAD_TYPE,
      rtcpFeedback: [],
    });
    expect(config.headerExtensions).toEqual({ video: [], audio: [] });
    expect(weriftPeerConfig({ ...base, packetTrack: false }).codecs?.video).toEqual([]);
  });
});
