import type { RTCPeerConnection } from 'werift';
import type { ChannelConfig, LinkConnectionOptions } from '../link-connection.js';
import { PACKET_CODEC_CLOCK_RATE, PACKET_CODEC_NAME, PACKET_PAYLOAD_TYPE } from '../packet-track.js';
import { werift } from './werift-module.js';

export type WeriftPeerConfig = NonNullable<ConstructorParameters<typeof RTCPeerConnection>[0]>;
export type WeriftChannelInit = NonNullable<Parameters<RTCPeerConnection['createDataChannel']>[1]>;

/** The packet track's only codec; no RTCP feedback (no NACK, PLI or REMB: nothing is retransmitted). */
const PACKET_CODEC = () =>
  new (werift().RTCRtpCodecParameters)({
    mimeType: `video/${PACKET_CODEC_NAME}`,
    clockRate: PACKET_CODEC_CLOCK_RATE,
    payloadType: PACKET_PAYLOAD_TYPE,
    rtcpFeedback: [],
  });

/**
 * What werift's RTCPeerConnection is told for one generation. Reads the address filter as it is now
 * (refresh it first); the pair filter reads it whenever werift pairs.
 */
export function weriftPeerConfig(
  opts: Pick<
    LinkConnectionOptions,
    'iceServers' | 'plan' | 'icePortRange' | 'sctpMtu' | 'packetTrack' | 'addressFilter'
  >,
): WeriftPeerConfig {
  const filter = opts.addressFilter;
  return {
    iceServers: opts.iceServers,
    iceTransportPolicy: opts.plan.policy === 'relay' ? 'relay' : 'all',
    iceAdditionalHostAddresses: filter.hostAddresses(),
    icePortRange: opts.icePortRange,
    // Overlay addresses never pair (covers prflx candidates learned from incoming checks too).
    iceFilterCandidatePair: (pair) =>
      !filter.isExcluded(pair.localCandidate.host) && !filter.isExcluded(pair.remoteCandidate.host),
    sctp: { mtu: opts.sctpMtu },
    // Only the packet track's codec, no header extensions: werift adds nothing to each packet.
    codecs: { video: opts.packetTrack ? [PACKET_CODEC()] : [], audio: [] },
    headerExtensions: { video: [], audio: [] },
  };
}

/** A channel's settings in werift's terms (no maxRetransmits: fully reliable). */
export function weriftChannelInit(c: ChannelConfig): WeriftChannelInit {
  return {
    negotiated: c.negotiated,
    id: c.id,
    ordered: c.ordered,
    ...(c.maxRetransmits === null ? {} : { maxRetransmits: c.maxRetransmits }),
  };
}
