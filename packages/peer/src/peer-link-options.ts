import type { Logger } from 'pino';
import type { CandidateAddressFilter, CandidateAddressOptions } from './address-filter.js';
import type { IceServer } from './connect-plan.js';
import type { TransportPreference } from './link-connection.js';
import type { LinkSignal } from './link-signal.js';

export type LinkState = 'new' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface PeerLinkOptions {
  localId: string;
  remoteId: string;
  /** STUN and TURN servers from the network config. Order TURN URLs UDP, TCP, TLS: see connectPlans(). */
  iceServers: IceServer[];
  /** Polite side of perfect negotiation. Default: `localId < remoteId` (both sides derive the same answer). */
  polite?: boolean;
  /** Delivers a signal to the remote link (through the signaling server's relay message). */
  sendSignal: (signal: LinkSignal) => void;
  logger?: Logger;
  /** A generation that has not opened its channels by then is abandoned (werift never reports failed). */
  connectTimeoutMs?: number;
  /**
   * After an ICE restart, time to get a keepalive answer before a new generation starts negotiating
   * (the old one stays active meanwhile). Failover time ~= keepalive detection + this + relay setup.
   */
  restartTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  /** Missed keepalive intervals after which the path is considered dead. */
  keepaliveMissLimit?: number;
  /** While relayed, how often the impolite side probes for a direct path. 0 disables. */
  upgradeIntervalMs?: number;
  /** Backoff between failed connect attempts, after one quick pass over all plans. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** SCTP packet MTU; 1330 fits a 1298-byte frame in one DATA chunk (see notes/common.md). */
  sctpMtu?: number;
  /** Packet-channel bufferedAmount above which new frames are dropped (and counted). */
  maxBufferedBytes?: number;
  /** Frames larger than this are dropped (and counted). */
  maxFrameBytes?: number;
  pingTimeoutMs?: number;
  /** How long a superseded generation keeps receiving after a newer one opened. */
  retireGraceMs?: number;
  icePortRange?: [number, number];
  /**
   * Interfaces/CIDRs never used as candidates (the overlay!), extra host addresses (veth in a netns).
   * Pass a CandidateAddressFilter to share one (updatable) policy between links.
   */
  candidateAddresses?: CandidateAddressOptions | CandidateAddressFilter;
  /** 'relay' never tries a direct path (no 'all' plan, no upgrade probes). Default 'all'. */
  iceTransportPolicy?: 'all' | 'relay';
  /**
   * WebRTC stack: 'auto' (default: libdatachannel where its native module loads and it can carry
   * the path, werift otherwise), 'werift' (pure TypeScript) or 'libdatachannel' (node-datachannel,
   * native, much faster; no ICE restart: keepalive loss goes straight to a new generation; TURN over
   * UDP only: relay-only generations through a TURN TCP/TLS URL run on werift either way).
   */
  transport?: TransportPreference;
  /**
   * Carry frames on the packet track (RTP over SRTP, no congestion control or retransmission of its
   * own: see packet-track.ts) when the peer supports it; false keeps them on the `packet` data channel.
   * Default true.
   */
  packetTrack?: boolean;
}

/** The timings and limits of a link, every default filled in. */
export type LinkTimings = Required<
  Omit<
    PeerLinkOptions,
    | 'logger'
    | 'polite'
    | 'icePortRange'
    | 'candidateAddresses'
    | 'iceTransportPolicy'
    | 'transport'
    | 'packetTrack'
  >
>;

/** The options with their defaults (keepalive 500 ms × 4 misses, connect 10 s, 32 KiB buffered, …). */
export function linkTimings(options: PeerLinkOptions): LinkTimings {
  return {
    localId: options.localId,
    remoteId: options.remoteId,
    iceServers: options.iceServers,
    sendSignal: options.sendSignal,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    restartTimeoutMs: options.restartTimeoutMs ?? 500,
    keepaliveIntervalMs: options.keepaliveIntervalMs ?? 500,
    keepaliveMissLimit: options.keepaliveMissLimit ?? 4,
    upgradeIntervalMs: options.upgradeIntervalMs ?? 20_000,
    retryMinMs: options.retryMinMs ?? 1_000,
    retryMaxMs: options.retryMaxMs ?? 30_000,
    sctpMtu: options.sctpMtu ?? 1330,
    maxBufferedBytes: options.maxBufferedBytes ?? 32 * 1024,
    maxFrameBytes: options.maxFrameBytes ?? 65_535,
    pingTimeoutMs: options.pingTimeoutMs ?? 5_000,
    retireGraceMs: options.retireGraceMs ?? 2_000,
  };
}
