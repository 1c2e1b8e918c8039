import type { Logger } from 'pino';
import type { CandidateAddressFilter } from './address-filter.js';
import type { ConnectPlan, IceServer } from './connect-plan.js';
import type { LinkSignal } from './link-signal.js';

/**
 * The WebRTC stack a PeerLink runs on. `werift` (pure TypeScript) is the default; `libdatachannel`
 * (node-datachannel, native, prebuilt from the npm registry) is optional and several times faster.
 * Both speak standard WebRTC data channels (DTLS + SCTP), so either end may run either one.
 */
export type PeerTransport = 'werift' | 'libdatachannel';
export const PEER_TRANSPORTS: readonly PeerTransport[] = ['werift', 'libdatachannel'];

export function isPeerTransport(value: string): value is PeerTransport {
  return (PEER_TRANSPORTS as readonly string[]).includes(value);
}

/**
 * What a link is asked to run on: a stack, or `auto` (the default): libdatachannel where its native
 * module loads and it can carry the path, werift otherwise, decided per connection generation.
 */
export type TransportPreference = PeerTransport | 'auto';
export const TRANSPORT_PREFERENCES: readonly TransportPreference[] = ['auto', 'werift', 'libdatachannel'];

export function isTransportPreference(value: string): value is TransportPreference {
  return (TRANSPORT_PREFERENCES as readonly string[]).includes(value);
}

/** The path one generation's nominated ICE pair takes. */
export interface PathInfo {
  path: 'direct' | 'relay';
  localCandidateType: string;
  remoteCandidateType: string;
  /** `host:port` of the remote end of the nominated pair (the TURN relay address when relayed). */
  remoteAddress: string;
}

export interface LinkConnectionOptions {
  gen: string;
  plan: ConnectPlan;
  polite: boolean;
  /** This side created the generation and makes its offer (the other side only answers). */
  initiator: boolean;
  iceServers: IceServer[];
  /** SCTP packet size in bytes (common header + chunks), werift's `sctp.mtu` meaning. */
  sctpMtu: number;
  maxBufferedBytes: number;
  /** Negotiate the packet track (RTP over SRTP, see packet-track.ts) beside the data channels. */
  packetTrack: boolean;
  icePortRange?: [number, number] | undefined;
  addressFilter: CandidateAddressFilter;
  logger: Logger;
  sendSignal: (signal: LinkSignal) => void;
  onOpen: () => void;
  onDead: (reason: string) => void;
  onPacket: (frame: Buffer) => void;
  onControl: (text: string) => void;
  /** This side now receives on the packet track (may come after onOpen on some stacks). */
  onPacketTrackReady: () => void;
}

/** How frames cross a link: the packet track (RTP over SRTP), or the `packet` data channel. */
export type PacketPath = 'rtp' | 'datachannel';

/** Cumulative packet-track counters of one generation. */
export interface PacketTrackCounters {
  txPackets: number;
  rxPackets: number;
  /** Packets the peer sent as far as the highest index received says (rx + lost). */
  rxExpected: number;
  /** Datagrams that failed SRTP (forged, corrupted, replayed); werift only (libsrtp drops them unseen). */
  rxRejected?: number;
}

export interface ChannelConfig {
  ordered: boolean;
  maxRetransmits: number | null;
  negotiated: boolean;
  id: number;
}

/** Unordered, no retransmission: one frame per message (see LinkConnection). */
export const PACKET_CHANNEL_ID = 0;
/** Reliable, ordered: keepalives and the agent's link-local messages. */
export const CONTROL_CHANNEL_ID = 1;
/** Cap of the control channel's send buffer: a stuck peer cannot grow memory. */
export const CONTROL_BUFFER_CAP = 256 * 1024;

export type SendResult = 'sent' | 'backpressure' | 'closed';

/**
 * One connection "generation" of a PeerLink on some WebRTC stack: a peer connection with two
 * pre-negotiated data channels, `packet` (id 0, unordered, maxRetransmits 0: a reliable channel would put
 * TCP inside TCP-like recovery and melt down under loss) and `control` (id 1, reliable, ordered).
 * Signals for the generation go in through handleSignal and out through `sendSignal`; local SDP and
 * candidates are filtered through the address filter both ways. An implementation reports `onOpen`
 * once both channels are open and `onDead` (at most once, never after close()) when it failed or closed.
 */
export interface LinkConnection {
  readonly transport: PeerTransport;
  readonly gen: string;
  readonly plan: ConnectPlan;
  /** False when the stack cannot restart ICE in place: PeerLink then starts a new generation at once. */
  readonly canRestartIce: boolean;
  readonly isOpen: boolean;
  readonly isClosed: boolean;
  /** Applies a signal for this generation (in order with every other signal). */
  handleSignal(signal: LinkSignal): void;
  /** ICE restart through perfect negotiation; a no-op when `canRestartIce` is false. */
  restartIce(): void;
  /**
   * Sends one frame: on the packet track when the peer receives there and the frame fits
   * (PACKET_TRACK_MAX_FRAME), otherwise on the packet channel. 'backpressure' when the path's local
   * queue is over maxBufferedBytes (the frame is not sent).
   */
  sendPacket(frame: Buffer): SendResult;
  /** The packet track is negotiated in both descriptions and keyed: this side receives on it. */
  packetTrackReady(): boolean;
  /** What the peer said (control channel `caps`): whether frames may be sent on the packet track. */
  setPeerReceivesPacketTrack(on: boolean): void;
  /** Where frames that fit go now. */
  packetPath(): PacketPath;
  packetTrackCounters(): PacketTrackCounters;
  /** Bytes this generation holds locally, not yet on the wire (null: not open, or not measurable). */
  localQueueBytes(): number | null;
  /** False when not open or over CONTROL_BUFFER_CAP. */
  sendControl(text: string): boolean;
  /** The data channels' reliability settings (for tests and diagnostics). */
  channelConfig(): { packet: ChannelConfig; control: ChannelConfig };
  /** The selected (nominated) candidate pair, the one the stack actually sends on. */
  path(): PathInfo | null;
  /** Frees the connection, its sockets and subscriptions. Idempotent. */
  close(): Promise<void>;
}

/** `host:port`, with brackets for IPv6. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
