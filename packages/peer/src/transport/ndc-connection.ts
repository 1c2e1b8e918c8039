import type { Logger } from 'pino';
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
import { loadAddon } from './ndc-addon.js';
import { NdcPacketTrack } from './ndc-packet-track.js';
import { ndcChannelInit, ndcPeerConfig } from './ndc-peer-config.js';
import { RemoteCandidateTypes, selectedPath } from './selected-path.js';

type NdcPeerConnection = import('node-datachannel').PeerConnection;
type NdcDataChannel = import('node-datachannel').DataChannel;

/**
 * One connection generation on libdatachannel (node-datachannel). Differences from werift, and why:
 * - No perfect negotiation inside a generation: libdatachannel has no ICE restart, so the only offer a
 *   generation ever needs is its first one, made by the side that created it (`initiator`); the other
 *   side only answers. Glare between two new generations is settled by PeerLink (generation ids).
 * - `canRestartIce` is false: on keepalive loss PeerLink starts a new generation right away.
 * - libjuice never gathers loopback addresses; the filter's `bindAddress` (loopback tests) binds ICE to
 *   one address instead. Pairs cannot be filtered: excluded local candidates are never signalled and
 *   excluded remote ones never added, and a generation whose selected pair still uses an excluded
 *   address (peer-reflexive, or a candidate added before the filter changed) is declared dead.
 * - TURN over UDP only (see ndc-ice-servers.ts).
 * - libdatachannel reports `failed` itself (consent freshness), which PeerLink takes as a dead generation.
 */
export class NdcConnection extends PacketTrackHolder implements LinkConnection {
  readonly transport = 'libdatachannel' as const;
  readonly canRestartIce = false;
  readonly gen: string;
  readonly plan: ConnectPlan;
  private readonly pc: NdcPeerConnection;
  private readonly packet: NdcDataChannel;
  private readonly control: NdcDataChannel;
  /** The packet track (null when the link runs without one). */
  private readonly track: NdcPacketTrack | null;
  private readonly opts: LinkConnectionOptions;
  private readonly log: Logger;
  private readonly signals: LocalSignals;
  private opened = false;
  private closed = false;
  /** The selected pair crossed the overlay: reported dead, never opened. */
  private condemned = false;
  private reportedDead = false;
  private remoteSet = false;
  /** Candidates that arrived before the remote description (bounded: a generation has few). */
  private readonly early: Array<{ candidate: string; mid: string }> = [];
  /** The type of every remote candidate added (see path()). */
  private readonly remoteTypes = new RemoteCandidateTypes();

  constructor(opts: LinkConnectionOptions) {
    super();
    this.opts = opts;
    this.gen = opts.gen;
    this.plan = opts.plan;
    this.log = opts.logger.child({ gen: opts.gen, transport: 'libdatachannel' });
    this.signals = new LocalSignals(opts, this.log);
    opts.addressFilter.refresh();
    const { config, skipped } = ndcPeerConfig(opts);
    for (const s of skipped) this.log.debug(s, 'ICE server URL not usable with libdatachannel');
    const { PeerConnection } = loadAddon();
    this.pc = new PeerConnection(opts.gen, config);
    this.track = opts.packetTrack
      ? new NdcPacketTrack(this.pc, this.trackState, {
          log: this.log,
          isClosed: () => this.closed,
          onPacket: (frame) => this.opts.onPacket(frame),
          onOpen: () => this.refreshPacketTrack(),
        })
      : null;
    this.packet = this.pc.createDataChannel('packet', ndcChannelInit(PACKET_CHANNEL));
    this.control = this.pc.createDataChannel('control', ndcChannelInit(CONTROL_CHANNEL));
    this.wire();
    if (opts.initiator) this.guard('offer', () => this.pc.setLocalDescription('offer'));
  }

  private wire(): void {
    const { pc } = this;
    pc.onLocalDescription((sdp, type) => {
      if (this.closed) return;
      this.signals.description(type, sdp);
    });
    pc.onLocalCandidate((line, mid) => {
      if (this.closed) return;
      // libdatachannel writes SDP attribute form (`a=candidate:...`); signal the W3C form like browsers.
      const candidate = line.startsWith('a=') ? line.slice(2) : line;
      this.signals.candidate({ candidate, sdpMid: mid, sdpMLineIndex: 0 });
    });
    pc.onGatheringStateChange((state) => {
      if (state === 'complete' && !this.closed) this.signals.endOfCandidates();
    });
    pc.onStateChange((state) => {
      this.log.debug({ state }, 'connection state');
      if (state === 'failed' || state === 'closed') this.dead(`connection ${state}`);
    });
    const checkOpen = () => {
      if (!this.opened && !this.closed && this.packet.isOpen() && this.control.isOpen()) {
        if (this.path() === null && this.condemned) return;
        this.opened = true;
        this.refreshPacketTrack();
        this.opts.onOpen();
      }
    };
    for (const [label, channel] of [
      ['packet', this.packet],
      ['control', this.control],
    ] as const) {
      channel.onOpen(checkOpen);
      channel.onClosed(() => {
        if (this.opened) this.dead(`${label} channel closed`);
      });
      channel.onError((err) => {
        if (!this.closed) this.log.debug({ err, channel: label }, 'data channel error');
      });
    }
    this.packet.onMessage((data) => {
      if (this.closed) return;
      const frame = frameOf(data); // the packet channel carries binary frames only
      if (frame !== null) this.opts.onPacket(frame);
    });
    this.track?.wire();
    this.control.onMessage((data) => {
      if (this.closed) return;
      this.opts.onControl(textOf(data));
    });
  }

  get isOpen(): boolean {
    return this.opened && !this.closed;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private dead(reason: string): void {
    if (this.closed || this.reportedDead) return;
    this.reportedDead = true;
    this.opts.onDead(reason);
  }

  /** libdatachannel throws synchronously on bad input or state; a bad signal must never crash the agent. */
  private guard(what: string, fn: () => void): void {
    if (this.closed) return;
    try {
      fn();
    } catch (err) {
      if (!this.closed) this.log.warn({ err, step: what }, 'negotiation step failed');
    }
  }

  handleSignal(signal: LinkSignal): void {
    if (this.closed) return;
    if (signal.kind === 'description') {
      const { type, sdp } = signal.description;
      if (type === 'offer' ? this.opts.initiator || this.remoteSet : !this.opts.initiator || this.remoteSet) {
        // One offer/answer per generation: a second offer would be a renegotiation (ICE restart from a
        // werift peer), which libdatachannel cannot do; that peer falls back to a new generation.
        this.log.debug({ type }, 'description ignored (one offer/answer per generation)');
        return;
      }
      this.guard('remote description', () => {
        this.pc.setRemoteDescription(this.opts.addressFilter.filterSdp(sdp), type);
        this.remoteSet = true;
        if (type === 'offer') this.pc.setLocalDescription('answer');
      });
      for (const c of this.early.splice(0)) this.addCandidate(c.candidate, c.mid);
    } else if (signal.kind === 'candidate') {
      const c = signal.candidate;
      // End of candidates (nothing libdatachannel needs) or an excluded address: not added.
      if (!isUsableRemoteCandidate(c, this.opts.addressFilter)) return;
      const mid = c.sdpMid ?? '0';
      if (!this.remoteSet) {
        if (this.early.length < 64) this.early.push({ candidate: c.candidate, mid });
        return;
      }
      this.addCandidate(c.candidate, mid);
    }
  }

  private addCandidate(candidate: string, mid: string): void {
    this.guard('remote candidate', () => {
      this.pc.addRemoteCandidate(candidate, mid);
      this.remoteTypes.add(candidate);
    });
  }

  restartIce(): void {
    // Not supported by libdatachannel: PeerLink sees canRestartIce === false and renegotiates instead.
  }

  /** Whether this side now receives on the packet track (tells PeerLink the first time). */
  private refreshPacketTrack(): void {
    if (this.track?.refresh()) this.opts.onPacketTrackReady();
  }

  /** libdatachannel's packet channel queue; the packet track queues nothing (a full socket drops). */
  localQueueBytes(): number | null {
    if (!this.isOpen) return null;
    try {
      return this.packet.bufferedAmount();
    } catch {
      return null;
    }
  }

  packetTrackCounters(): PacketTrackCounters {
    return this.trackState.counters(this.track?.txPackets ?? 0);
  }

  sendPacket(frame: Buffer): SendResult {
    if (!this.isOpen) return 'closed';
    if (this.track && this.trackState.carries(frame.length)) return this.track.send(frame);
    try {
      if (this.packet.bufferedAmount() > this.opts.maxBufferedBytes) return 'backpressure';
      // false only means "queued, not yet on the wire"; the cap above bounds that queue.
      this.packet.sendMessageBinary(frame);
      return 'sent';
    } catch {
      return 'closed';
    }
  }

  sendControl(text: string): boolean {
    if (!this.isOpen) return false;
    try {
      if (this.control.bufferedAmount() > CONTROL_BUFFER_CAP) return false;
      this.control.sendMessage(text);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * node-datachannel does not expose a channel's reliability, so this reports what was requested
   * (negotiated channels: both sides configure identically, there is no in-band negotiation to differ).
   */
  channelConfig(): { packet: ChannelConfig; control: ChannelConfig } {
    return {
      packet: { ...PACKET_CHANNEL, id: this.packet.getId() },
      control: { ...CONTROL_CHANNEL, id: this.control.getId() },
    };
  }

  path(): PathInfo | null {
    if (this.closed) return null;
    let pair: ReturnType<NdcPeerConnection['getSelectedCandidatePair']>;
    try {
      pair = this.pc.getSelectedCandidatePair();
    } catch {
      return null;
    }
    if (!pair) return null;
    const { local, remote } = pair;
    if (this.excludedPair(local.address, remote.address)) return null;
    const remoteAddress = formatHostPort(remote.address, remote.port);
    return selectedPath(local.type, this.remoteTypes.typeOf(remoteAddress, remote.type), remoteAddress);
  }

  /**
   * libjuice cannot be told to skip a pair, and it keeps checking remote candidates added before the
   * filter learned a new exclusion. The case that matters: a peer's host address inside a subnet that
   * another peer routes over the overlay (subnet router); once the kernel route exists, the checks run
   * through the overlay itself, succeed, and a host pair outranks the real one: the link would carry
   * itself. Such a generation is declared dead (PeerLink negotiates a new one with the updated filter);
   * the check runs whenever the path is read (every keepalive tick) and before the generation opens.
   */
  private excludedPair(localAddress: string, remoteAddress: string): boolean {
    const filter = this.opts.addressFilter;
    if (!filter.isExcluded(localAddress) && !filter.isExcluded(remoteAddress)) return false;
    if (!this.closed && !this.condemned) {
      this.condemned = true;
      this.log.info({ localAddress, remoteAddress }, 'selected pair uses an excluded address');
      // Not from inside PeerLink's own path check: report on the next tick.
      queueMicrotask(() => this.dead('selected pair uses an excluded (overlay) address'));
    }
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.track?.close();
      this.packet.close();
      this.control.close();
      this.pc.close();
    } catch (err) {
      this.log.debug({ err }, 'close failed');
    }
  }
}
