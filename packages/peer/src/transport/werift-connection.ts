import type { Logger } from 'pino';
import type { RTCDataChannel, RTCIceTransport, RTCPeerConnection } from 'werift';
import type { ConnectPlan } from '../connect-plan.js';
import {
  type ChannelConfig,
  CONTROL_BUFFER_CAP,
  formatHostPort,
  type LinkConnection,
  type LinkConnectionOptions,
  type PacketTrackCounters,
  type PathInfo,
  type SendResult,
} from '../link-connection.js';
import type { LinkSignal } from '../link-signal.js';
import { PacketTrackHolder } from '../packet-track.js';
import { CONTROL_CHANNEL, frameOf, PACKET_CHANNEL, textOf } from './link-channels.js';
import { isUsableRemoteCandidate, LocalSignals } from './link-signals.js';
import { selectedPath } from './selected-path.js';
import { werift } from './werift-module.js';
import { WeriftPacketTrack } from './werift-packet-track.js';
import { weriftChannelInit, weriftPeerConfig } from './werift-peer-config.js';
import { socketQueueBytes } from './werift-socket-queue.js';

/**
 * One RTCPeerConnection "generation" of a PeerLink on werift (pure TypeScript): the connection, its two
 * negotiated data channels and W3C perfect negotiation (polite side rolls back on offer collision,
 * impolite side ignores). Signals are applied strictly in order through one promise chain, so a
 * candidate never races its description. Both sides may offer (werift's negotiationneeded), so
 * `initiator` is not needed here.
 */
export class WeriftConnection extends PacketTrackHolder implements LinkConnection {
  readonly transport = 'werift' as const;
  readonly canRestartIce = true;
  readonly gen: string;
  readonly plan: ConnectPlan;
  readonly pc: RTCPeerConnection;
  private readonly packet: RTCDataChannel;
  private readonly control: RTCDataChannel;
  /** The packet track (null when the link runs without one). */
  private readonly track: WeriftPacketTrack | null;
  private readonly opts: LinkConnectionOptions;
  private readonly log: Logger;
  private readonly signals: LocalSignals;
  private makingOffer = false;
  private ignoreOffer = false;
  private chain: Promise<void> = Promise.resolve();
  private opened = false;
  private closed = false;
  /** onDead was called (a generation dies once). */
  private reportedDead = false;
  private readonly unsubscribe: Array<() => void> = [];
  private readonly kicking = new Set<RTCIceTransport>();

  constructor(opts: LinkConnectionOptions) {
    super();
    this.opts = opts;
    this.gen = opts.gen;
    this.plan = opts.plan;
    this.log = opts.logger.child({ gen: opts.gen });
    this.signals = new LocalSignals(opts, this.log);
    opts.addressFilter.refresh();
    this.pc = new (werift().RTCPeerConnection)(weriftPeerConfig(opts));
    // The media section comes first (mid 0) on both stacks, before the data channels' section.
    this.track = opts.packetTrack
      ? new WeriftPacketTrack(
          this.pc,
          this.pc.addTransceiver('video', { direction: 'sendrecv' }),
          this.trackState,
          {
            log: this.log,
            maxBufferedBytes: opts.maxBufferedBytes,
            isClosed: () => this.closed,
            onPacket: (frame) => this.opts.onPacket(frame),
          },
        )
      : null;
    this.packet = this.pc.createDataChannel('packet', weriftChannelInit(PACKET_CHANNEL));
    this.control = this.pc.createDataChannel('control', weriftChannelInit(CONTROL_CHANNEL));
    this.wire();
  }

  private wire(): void {
    const { pc } = this;
    // werift fires negotiationneeded on the answering side too (its createDataChannel change is only
    // marked negotiated by its own offer), which costs a useless extra round and, during an ICE restart,
    // breaks the restart. With two pre-negotiated channels and no media, the only offers ever needed are
    // the first one and ICE restarts, so negotiationneeded is honoured only before any remote description.
    pc.onnegotiationneeded = () => {
      if (this.pc.remoteDescription) return;
      this.enqueue(() => this.makeOffer(false));
    };
    pc.onicecandidate = ({ candidate }) => {
      if (this.closed) return;
      if (!candidate) {
        this.signals.endOfCandidates();
        return;
      }
      this.signals.candidate({
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? null,
        sdpMLineIndex: candidate.sdpMLineIndex ?? null,
      });
    };
    const sub = pc.connectionStateChange.subscribe((state) => {
      this.log.debug({ state }, 'connection state');
      if (state === 'failed' || state === 'closed') this.dead(`connection ${state}`);
    });
    this.unsubscribe.push(() => sub.unSubscribe());
    const checkOpen = () => {
      if (
        !this.opened &&
        !this.closed &&
        this.packet.readyState === 'open' &&
        this.control.readyState === 'open'
      ) {
        this.opened = true;
        this.refreshPacketTrack();
        this.opts.onOpen();
      }
    };
    for (const channel of [this.packet, this.control]) {
      const s = channel.stateChanged.subscribe((state) => {
        if (state === 'open') checkOpen();
        else if (state === 'closed' && this.opened) this.dead(`${channel.label} channel closed`);
      });
      this.unsubscribe.push(() => s.unSubscribe());
    }
    const p = this.packet.onMessage.subscribe((data) => {
      const frame = frameOf(data); // the packet channel carries binary frames only
      if (frame !== null) this.opts.onPacket(frame);
    });
    const c = this.control.onMessage.subscribe((data) => {
      this.opts.onControl(textOf(data));
    });
    this.unsubscribe.push(
      () => p.unSubscribe(),
      () => c.unSubscribe(),
    );
  }

  get isOpen(): boolean {
    return this.opened && !this.closed;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private dead(reason: string): void {
    // At most once (LinkConnection's contract): a failed connection also closes its channels.
    if (this.closed || this.reportedDead) return;
    this.reportedDead = true;
    this.opts.onDead(reason);
  }

  private enqueue(task: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.closed) return;
      try {
        await task();
      } catch (err) {
        if (!this.closed) this.log.warn({ err }, 'negotiation step failed');
      }
    });
  }

  private async makeOffer(iceRestart: boolean): Promise<void> {
    if (this.pc.signalingState !== 'stable') return;
    if (!iceRestart && this.pc.remoteDescription) return;
    this.makingOffer = true;
    try {
      const offer = await this.pc.createOffer({ iceRestart });
      if (this.closed || this.pc.signalingState !== 'stable') return;
      await this.pc.setLocalDescription(offer);
      this.sendLocalDescription();
    } finally {
      this.makingOffer = false;
    }
  }

  private sendLocalDescription(): void {
    const desc = this.pc.localDescription;
    if (!desc || this.closed) return;
    this.signals.description(desc.type, desc.sdp);
  }

  /** Applies a signal for this generation (in order with every other signal). */
  handleSignal(signal: LinkSignal): void {
    if (signal.kind === 'description') {
      const { type, sdp } = signal.description;
      this.enqueue(() => this.applyDescription(type, sdp));
    } else if (signal.kind === 'candidate') {
      const c = signal.candidate;
      this.enqueue(async () => {
        // End of candidates (nothing werift needs) or an excluded address: not added.
        if (!isUsableRemoteCandidate(c, this.opts.addressFilter)) return;
        try {
          await this.pc.addIceCandidate({
            candidate: c.candidate,
            sdpMid: c.sdpMid ?? undefined,
            sdpMLineIndex: c.sdpMLineIndex ?? undefined,
          });
        } catch (err) {
          if (!this.ignoreOffer) throw err;
        }
      });
    }
  }

  private async applyDescription(type: 'offer' | 'answer', sdp: string): Promise<void> {
    const { pc } = this;
    const collision = type === 'offer' && (this.makingOffer || pc.signalingState !== 'stable');
    this.ignoreOffer = !this.opts.polite && collision;
    if (this.ignoreOffer) {
      this.log.debug('ignoring colliding offer (impolite)');
      return;
    }
    if (type === 'answer' && pc.signalingState !== 'have-local-offer') {
      this.log.debug({ state: pc.signalingState }, 'ignoring answer in wrong state');
      return;
    }
    if (collision && pc.signalingState === 'have-local-offer') {
      await pc.setLocalDescription({ type: 'rollback' });
    }
    await pc.setRemoteDescription({ type, sdp: this.opts.addressFilter.filterSdp(sdp) });
    if (type === 'offer') {
      const answer = await pc.createAnswer();
      if (this.closed) return;
      await pc.setLocalDescription(answer);
      this.sendLocalDescription();
    }
    this.kickIceAfterRestart();
  }

  /**
   * werift 0.25.2 bug: after an ICE restart its connect() sees DTLS still "connected" and never starts
   * the new ICE checks, so no pair is ever nominated again. Start them ourselves once the restart's
   * offer/answer is complete on this side.
   */
  private kickIceAfterRestart(): void {
    if (!this.opened || this.pc.signalingState !== 'stable') return;
    for (const transport of this.pc.iceTransports) {
      if (transport.connection.nominated || this.kicking.has(transport)) continue;
      if (!transport.connection.remoteUsername) continue;
      this.kicking.add(transport);
      transport
        .start()
        .catch((err: unknown) => {
          if (!this.closed) this.log.debug({ err }, 'ICE restart checks failed');
        })
        .finally(() => this.kicking.delete(transport));
    }
  }

  /** ICE restart through perfect negotiation (whoever restarts makes the offer). */
  restartIce(): void {
    if (this.closed) return;
    this.enqueue(() => this.makeOffer(true));
  }

  /** Whether this side now receives on the packet track (tells PeerLink the first time). */
  private refreshPacketTrack(): void {
    if (this.track?.refresh()) this.opts.onPacketTrackReady();
  }

  localQueueBytes(): number | null {
    if (!this.isOpen) return null;
    const socket = socketQueueBytes(this.pc);
    return socket === null ? null : socket + this.packet.bufferedAmount;
  }

  packetTrackCounters(): PacketTrackCounters {
    return this.trackState.counters(this.track?.txPackets ?? 0);
  }

  sendPacket(frame: Buffer): SendResult {
    if (!this.isOpen) return 'closed';
    if (this.trackState.carries(frame.length)) return this.track?.send(frame) ?? 'closed';
    if (this.packet.readyState !== 'open') return 'closed';
    if (this.packet.bufferedAmount > this.opts.maxBufferedBytes) return 'backpressure';
    this.packet.send(frame);
    return 'sent';
  }

  sendControl(text: string): boolean {
    if (!this.isOpen || this.control.readyState !== 'open') return false;
    // The control channel is reliable; cap its buffer too so a stuck peer cannot grow memory.
    if (this.control.bufferedAmount > CONTROL_BUFFER_CAP) return false;
    this.control.send(text);
    return true;
  }

  /** The data channels' reliability settings as werift holds them (for tests and diagnostics). */
  channelConfig(): { packet: ChannelConfig; control: ChannelConfig } {
    const cfg = (c: RTCDataChannel): ChannelConfig => ({
      ordered: c.ordered,
      maxRetransmits: c.maxRetransmits,
      negotiated: c.negotiated,
      id: c.id,
    });
    return { packet: cfg(this.packet), control: cfg(this.control) };
  }

  /** The nominated pair (the one werift actually sends on), not whatever getStats names. */
  path(): PathInfo | null {
    const nominated = this.pc.iceTransports[0]?.connection.nominated;
    if (!nominated) return null;
    const [host, port] = nominated.remoteAddr;
    return selectedPath(
      nominated.localCandidate.type,
      nominated.remoteCandidate.type,
      formatHostPort(host, port),
    );
  }

  /** Frees the connection, its sockets and subscriptions. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unsubscribe.splice(0)) u();
    this.track?.detach();
    this.pc.onnegotiationneeded = null;
    this.pc.onicecandidate = null;
    try {
      await this.pc.close();
    } catch (err) {
      this.log.debug({ err }, 'close failed');
    }
  }
}
