import type { Logger } from 'pino';
import type { SendResult } from '../link-connection.js';
import {
  PACKET_CODEC_NAME,
  PACKET_PAYLOAD_TYPE,
  PACKET_TRACK_MID,
  type PacketTrackState,
  parseRtpFrame,
  RtpFramer,
  sdpHasPacketTrack,
} from '../packet-track.js';
import { loadAddon } from './ndc-addon.js';

type NdcPeerConnection = import('node-datachannel').PeerConnection;
type NdcTrack = import('node-datachannel').Track;

/** What a libdatachannel packet track needs of its connection. */
export interface NdcPacketTrackHost {
  readonly log: Logger;
  isClosed(): boolean;
  onPacket(frame: Buffer): void;
  /** The track opened (DTLS-SRTP keyed): time to refresh(). */
  onOpen(): void;
}

/**
 * The packet track of one libdatachannel generation: a media section whose RTP libdatachannel's own
 * SRTP protects; frames are framed here (RtpFramer) and parsed back (parseRtpFrame). Its state (ready,
 * peer receives, loss) is the connection's PacketTrackState.
 */
export class NdcPacketTrack {
  /** Held here: a collected wrapper closes it. */
  private readonly track: NdcTrack;
  private readonly framer: RtpFramer;
  private open = false;

  /** Adds the track's media section to `pc` (call before the data channels: the section comes first). */
  constructor(
    private readonly pc: NdcPeerConnection,
    private readonly state: PacketTrackState,
    private readonly host: NdcPacketTrackHost,
  ) {
    // The media section first (mid 0), as werift orders it; its SSRC is declared so that the receiving
    // stack can route the packets to the track (libdatachannel routes by the SSRCs of the SDP).
    this.framer = new RtpFramer((Math.random() * 0x1_0000_0000) >>> 0 || 1);
    const { Video } = loadAddon();
    const media = new Video(PACKET_TRACK_MID, 'SendRecv');
    media.addVideoCodec(PACKET_PAYLOAD_TYPE, PACKET_CODEC_NAME);
    media.addSSRC(this.framer.ssrc, 'rtcmesh');
    this.track = pc.addTrack(media);
  }

  /** Listens to the track (the connection calls this where it wires its channels). */
  wire(): void {
    const { track } = this;
    track.onOpen(() => {
      this.open = true;
      this.host.onOpen();
    });
    track.onClosed(() => {
      this.open = false;
      this.state.markClosed();
    });
    track.onError((err) => {
      if (!this.host.isClosed()) this.host.log.debug({ err }, 'packet track error');
    });
    // RTP and any RTCP the peer's stack sends arrive here; only packet-track RTP is a frame.
    track.onMessage((data) => {
      if (this.host.isClosed()) return;
      const rtp = parseRtpFrame(Buffer.isBuffer(data) ? data : Buffer.from(data));
      if (!rtp) return;
      this.state.loss.observe(rtp.index);
      this.host.onPacket(rtp.payload);
    });
  }

  /**
   * Receiving on the packet track needs the track open (DTLS-SRTP keyed) and the section accepted in
   * both descriptions: a peer that rejected it (port 0) or never offered it leaves the track unused.
   * True the first time it does (tell the peer then).
   */
  refresh(): boolean {
    if (this.state.receiving || !this.open || this.host.isClosed()) return false;
    let local: string | undefined;
    let remote: string | undefined;
    try {
      local = this.pc.localDescription()?.sdp;
      remote = this.pc.remoteDescription()?.sdp;
    } catch {
      return false;
    }
    if (!local || !remote || !sdpHasPacketTrack(local) || !sdpHasPacketTrack(remote)) return false;
    return this.state.markReady();
  }

  /** Packets sent so far. */
  get txPackets(): number {
    return this.framer.packets;
  }

  send(frame: Buffer): SendResult {
    try {
      // Straight through SRTP to the socket on this thread: nothing queues (a full socket drops).
      this.track.sendMessageBinary(this.framer.frame(frame));
      return 'sent';
    } catch {
      return 'closed';
    }
  }

  close(): void {
    this.track.close();
  }
}
