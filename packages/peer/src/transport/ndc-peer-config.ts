import type { DataChannelInitConfig, RtcConfig } from 'node-datachannel';
import type { ChannelConfig, LinkConnectionOptions } from '../link-connection.js';
import { type NdcIceServers, toNdcIceServers } from './ndc-ice-servers.js';

/**
 * libdatachannel's `mtu` is the IP-level MTU: it subtracts 12 (SCTP common header) + 48 (DTLS) + 8 (UDP)
 * + 40 (IPv6) = 108 bytes and uses the rest as chunk space. werift's `sctp.mtu` is the SCTP packet size
 * (common header included), so the same packet needs `sctpMtu - 12 + 108`. With sctpMtu 1330 a
 * 1298-byte frame is one DATA chunk, one 1365-byte UDP datagram (measured on loopback).
 */
export const NDC_MTU_OVERHEAD = 96;

/**
 * What libdatachannel's PeerConnection is told for one generation, and the ICE server URLs it cannot
 * use (for the caller to log). Reads the address filter as it is now (refresh it first).
 */
export function ndcPeerConfig(
  opts: Pick<LinkConnectionOptions, 'iceServers' | 'plan' | 'sctpMtu' | 'icePortRange' | 'addressFilter'>,
): { config: RtcConfig; skipped: NdcIceServers['skipped'] } {
  const ice = toNdcIceServers(opts.iceServers);
  const filter = opts.addressFilter;
  const config: RtcConfig = {
    iceServers: ice.servers,
    iceTransportPolicy: opts.plan.policy === 'relay' ? 'relay' : 'all',
    // Offers are made explicitly (initiator only), never on createDataChannel.
    disableAutoNegotiation: true,
    mtu: opts.sctpMtu + NDC_MTU_OVERHEAD,
    ...(opts.icePortRange
      ? { portRangeBegin: opts.icePortRange[0], portRangeEnd: opts.icePortRange[1] }
      : {}),
    // Bound even when the address is excluded as a candidate: traffic then stays on it (relay only).
    ...(filter.bindAddress ? { bindAddress: filter.bindAddress } : {}),
  };
  return { config, skipped: ice.skipped };
}

/** A channel's settings in node-datachannel's terms (defaults left out: ordered, fully reliable). */
export function ndcChannelInit(c: ChannelConfig): DataChannelInitConfig {
  return {
    negotiated: c.negotiated,
    id: c.id,
    ...(c.ordered ? {} : { unordered: true }),
    ...(c.maxRetransmits === null ? {} : { maxRetransmits: c.maxRetransmits }),
  };
}
