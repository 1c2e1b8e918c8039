/**
 * The packet track: tunnelled frames as RTP packets over the link's SRTP (a media section negotiated
 * beside the data channels, on the same ICE and DTLS transport).
 *
 * Why not the `packet` data channel: SCTP runs its own congestion control, so every packet lost on the
 * path halves its window, and the TCP flow inside reacts to the same loss again. Two controllers in
 * series hold a path with 0.25 % random loss and 20 ms RTT at 10-50 Mbit/s. SRTP has no congestion
 * control and no retransmission: like WireGuard, the tunnel leaves both to the flows it carries, and a
 * lost packet costs them exactly what it would cost them on the bare path. Real congestion is still
 * felt by them: nothing queues without bound inside the tunnel (a full socket buffer drops).
 *
 * Frame format: one frame per RTP packet, the frame is the whole RTP payload. The 32-bit RTP timestamp
 * carries the sender's packet index (the sequence number is its low 16 bits), which gives the receiver
 * an exact loss count per link without sequence-number rollover guessing.
 */

import type { PacketPath, PacketTrackCounters } from './link-connection.js';

/** The payload type of tunnelled frames (dynamic range, RFC 3551). */
export const PACKET_PAYLOAD_TYPE = 96;
/** The codec name in the SDP's `a=rtpmap` (both stacks accept any name; no media stack ever decodes it). */
export const PACKET_CODEC_NAME = 'rtcmesh';
export const PACKET_CODEC_CLOCK_RATE = 90_000;
/** The media section's `mid` (both ends create the section the same way, so it is the first one). */
export const PACKET_TRACK_MID = '0';
export const RTP_HEADER_BYTES = 12;
/** SRTP authentication tag of AEAD_AES_128_GCM (AES_CM_128_HMAC_SHA1_80 uses 10). */
export const SRTP_MAX_TAG_BYTES = 16;
/**
 * Largest frame sent on the packet track; larger ones go over the `packet` data channel (SCTP
 * fragments them). 1400 + 12 (RTP) + 16 (SRTP tag) + 8 (UDP) + 40 (IPv6) + 4 (TURN ChannelData) =
 * 1480 bytes on the wire: fits a 1500-byte path MTU with room for PPPoE (1492).
 */
export const PACKET_TRACK_MAX_FRAME = 1400;

/** Writes RTP headers for one sender: SSRC fixed, index (timestamp) and sequence number counting up. */
export class RtpFramer {
  private index = 0;
  constructor(readonly ssrc: number) {}

  /** Packets framed so far (also the next packet's index, mod 2^32). */
  get packets(): number {
    return this.index;
  }

  /** Writes the next header into `out` at `offset` (12 bytes). */
  writeHeader(out: Buffer, offset = 0): void {
    const i = this.index;
    this.index = (i + 1) >>> 0;
    out[offset] = 0x80; // version 2, no padding, no extension, no CSRC
    out[offset + 1] = PACKET_PAYLOAD_TYPE; // marker 0
    out.writeUInt16BE(i & 0xffff, offset + 2);
    out.writeUInt32BE(i, offset + 4);
    out.writeUInt32BE(this.ssrc, offset + 8);
  }

  /** The header and the frame in one new buffer (the form libdatachannel's Track.send takes). */
  frame(payload: Buffer): Buffer {
    const out = Buffer.allocUnsafe(RTP_HEADER_BYTES + payload.length);
    this.writeHeader(out, 0);
    payload.copy(out, RTP_HEADER_BYTES);
    return out;
  }
}

export interface RtpFrame {
  payload: Buffer;
  /** The sender's packet index (RTP timestamp). */
  index: number;
}

/**
 * The frame inside one decrypted RTP packet, or null for anything else (RTCP that a stack hands over
 * on the same track, another payload type, a malformed header). The packet was authenticated by SRTP,
 * so it comes from the peer; its fields are still checked, never trusted.
 */
export function parseRtpFrame(packet: Buffer): RtpFrame | null {
  if (packet.length < RTP_HEADER_BYTES) return null;
  const b0 = packet[0]!;
  if (b0 >> 6 !== 2) return null;
  if ((packet[1]! & 0x7f) !== PACKET_PAYLOAD_TYPE) return null;
  let offset = RTP_HEADER_BYTES + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (packet.length < offset + 4) return null;
    offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  }
  let end = packet.length;
  if (b0 & 0x20) {
    const pad = packet[end - 1]!;
    if (pad === 0) return null;
    end -= pad;
  }
  if (offset > end) return null;
  return { payload: packet.subarray(offset, end), index: packet.readUInt32BE(4) };
}

/**
 * Loss on the packet track, counted from the sender's packet index: every index between the first and
 * the highest seen was expected once. A late (reordered) packet still counts as received.
 */
export class RtpLossMeter {
  private highest = -1;
  expected = 0;
  received = 0;

  observe(index: number): void {
    this.received++;
    if (this.highest < 0) {
      this.highest = index;
      this.expected = 1;
      return;
    }
    // Signed 32-bit distance: the index wraps after 2^32 packets.
    const ahead = (index - this.highest) | 0;
    if (ahead > 0) {
      this.expected += ahead;
      this.highest = index >>> 0;
    }
  }

  get lost(): number {
    return Math.max(0, this.expected - this.received);
  }
}

/** The `m=` section of an SDP that carries the packet track, if it is there and not rejected (port 0). */
function packetSection(sdp: string): string[] | null {
  const sections = sdp.split(/\r?\n(?=m=)/);
  for (const s of sections) {
    const lines = s.split(/\r?\n/);
    const m = lines[0] ?? '';
    if (!m.startsWith('m=video ')) continue;
    const fields = m.split(' ');
    if (fields[1] === '0') return null;
    if (!fields.slice(3).includes(String(PACKET_PAYLOAD_TYPE))) continue;
    const rtpmap = new RegExp(`^a=rtpmap:${PACKET_PAYLOAD_TYPE} ${PACKET_CODEC_NAME}/`, 'i');
    if (lines.some((l) => rtpmap.test(l))) return lines;
  }
  return null;
}

/**
 * Whether an SDP offers or accepts the packet track for sending and receiving: a video section with
 * the packet codec, not rejected, `sendrecv` (the default when no direction is given).
 */
export function sdpHasPacketTrack(sdp: string): boolean {
  const lines = packetSection(sdp);
  if (!lines) return false;
  return !lines.some((l) => l === 'a=sendonly' || l === 'a=recvonly' || l === 'a=inactive');
}

/**
 * One connection generation's packet track as both stacks keep it: whether this side receives on it
 * (negotiated and keyed), whether the peer said it does (`caps`), and what arrived on it.
 */
export class PacketTrackState {
  private ready = false;
  private peerReceives = false;
  readonly loss = new RtpLossMeter();
  /** Datagrams that failed SRTP where the stack lets us see them (werift). */
  rejected = 0;

  /** This side now receives on the track. True the first time (tell the peer then). */
  markReady(): boolean {
    if (this.ready) return false;
    this.ready = true;
    return true;
  }

  /** The track closed under us: frames go back to the data channel. */
  markClosed(): void {
    this.ready = false;
  }

  get receiving(): boolean {
    return this.ready;
  }

  setPeerReceives(on: boolean): void {
    this.peerReceives = on;
  }

  /** Whether this frame goes on the track: both sides receive there and it fits one RTP packet. */
  carries(frameLength: number): boolean {
    return this.ready && this.peerReceives && frameLength <= PACKET_TRACK_MAX_FRAME;
  }

  path(): PacketPath {
    return this.ready && this.peerReceives ? 'rtp' : 'datachannel';
  }

  counters(txPackets: number): PacketTrackCounters {
    return {
      txPackets,
      rxPackets: this.loss.received,
      rxExpected: this.loss.expected,
      rxRejected: this.rejected,
    };
  }
}

/**
 * What a connection of either stack (transport/ndc-connection.ts, werift-connection.ts) answers alike
 * about its packet track: both extend this and keep their track's state in `trackState` (which their
 * track, transport/ndc-packet-track.ts or werift-packet-track.ts, updates).
 */
export abstract class PacketTrackHolder {
  protected readonly trackState = new PacketTrackState();

  packetTrackReady(): boolean {
    return this.trackState.receiving;
  }

  setPeerReceivesPacketTrack(on: boolean): void {
    this.trackState.setPeerReceives(on);
  }

  packetPath(): 'rtp' | 'datachannel' {
    return this.trackState.path();
  }
}
