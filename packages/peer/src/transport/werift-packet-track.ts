import type { Logger } from 'pino';
import type { RTCDtlsTransport, RTCPeerConnection, RTCRtpTransceiver } from 'werift';
import type { SendResult } from '../link-connection.js';
import { PACKET_PAYLOAD_TYPE, type PacketTrackState, sdpHasPacketTrack } from '../packet-track.js';
import type { PacketSrtp } from '../srtp/packet-srtp.js';
import { datagramSender, packetSrtpFor } from './werift-packet-srtp.js';
import { socketQueueBytes } from './werift-socket-queue.js';

/** What a werift packet track needs of its connection. */
export interface WeriftPacketTrackHost {
  readonly log: Logger;
  readonly maxBufferedBytes: number;
  isClosed(): boolean;
  onPacket(frame: Buffer): void;
}

/**
 * The packet track of one werift generation: its own SRTP on the keys of the connection's DTLS,
 * datagrams taken before werift's SRTP (patch 10) and sent straight to the nominated pair's socket.
 * Its state (ready, peer receives, loss) is the connection's PacketTrackState.
 */
export class WeriftPacketTrack {
  /** The packet track's SRTP, on the keys of this connection's DTLS (null until the track is ready). */
  private srtp: PacketSrtp | null = null;
  /** Sends one datagram on the nominated pair; rebuilt when the pair changes (ICE restart). */
  private sender: { pair: unknown; send: (datagram: Buffer) => void } | null = null;
  /** Takes the media hook back off the DTLS transport (null until it is set). */
  private unhook: (() => void) | null = null;

  constructor(
    private readonly pc: RTCPeerConnection,
    /** The packet track's transceiver. */
    private readonly transceiver: RTCRtpTransceiver,
    private readonly state: PacketTrackState,
    private readonly host: WeriftPacketTrackHost,
  ) {}

  /**
   * Whether this side can receive on the packet track: both descriptions carry it and the DTLS
   * transport has derived its SRTP keys. Checked when the generation opens (DTLS is up by then).
   * True the first time it is (tell the peer then).
   */
  refresh(): boolean {
    if (this.state.receiving || this.host.isClosed()) return false;
    const local = this.pc.localDescription?.sdp;
    const remote = this.pc.remoteDescription?.sdp;
    const dtls = this.transceiver.dtlsTransport ?? this.pc.dtlsTransports[0];
    if (!local || !remote || !dtls?.srtp) return false;
    if (!sdpHasPacketTrack(local) || !sdpHasPacketTrack(remote)) return false;
    const srtp = packetSrtpFor(dtls, this.transceiver.sender.ssrc);
    if (!srtp) {
      this.host.log.warn("werift's SRTP session is not the expected one: frames stay on the data channel");
      return false;
    }
    this.srtp = srtp;
    // Packet-track datagrams are taken before werift's SRTP and RTP router (patch 10): one cipher each.
    const hook = (data: Buffer) => this.onSrtp(data);
    const withHook = dtls as RTCDtlsTransport & { mediaHook?: (data: Buffer) => boolean };
    withHook.mediaHook = hook;
    this.unhook = () => {
      if (withHook.mediaHook === hook) withHook.mediaHook = undefined;
    };
    return this.state.markReady();
  }

  /** One SRTP datagram: ours when it carries the packet payload type (RTCP and the rest: werift). */
  private onSrtp(data: Buffer): boolean {
    if ((data[1]! & 0x7f) !== PACKET_PAYLOAD_TYPE) return false;
    if (this.host.isClosed() || !this.srtp) return true;
    const frame = this.srtp.unprotect(data);
    if (!frame) {
      this.state.rejected++;
      return true;
    }
    this.state.loss.observe(frame.index);
    this.host.onPacket(frame.payload);
    return true;
  }

  /** Packets sent so far. */
  get txPackets(): number {
    return this.srtp?.packets ?? 0;
  }

  send(frame: Buffer): SendResult {
    const srtp = this.srtp;
    if (!srtp) return 'closed';
    // Each packet goes to Node's socket, whose queue (behind a full kernel buffer) has no bound.
    if ((socketQueueBytes(this.pc) ?? 0) > this.host.maxBufferedBytes) return 'backpressure';
    const pair = this.pc.iceTransports[0]?.connection.nominated;
    if (!this.sender || this.sender.pair !== pair) {
      const send = datagramSender(this.pc);
      if (!send) return 'closed';
      this.sender = { pair, send };
    }
    this.sender.send(srtp.protect(frame));
    return 'sent';
  }

  /** Takes the media hook off werift's DTLS transport. */
  detach(): void {
    const unhook = this.unhook;
    this.unhook = null;
    unhook?.();
  }
}
