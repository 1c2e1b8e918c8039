import type { ConnectPlan } from './connect-plan.js';
import type { LinkConnection, PacketPath, PeerTransport } from './link-connection.js';
import type { LinkHealth } from './link-health.js';
import type { LinkState } from './peer-link-options.js';

export interface LinkStats {
  state: LinkState;
  /** Stack of the active generation (the one the next generation would use while none is active). */
  transport: PeerTransport;
  /** Why that stack: configured, chosen by `auto`, or the fallback taken and its cause. */
  transportReason: string;
  path: 'direct' | 'relay' | null;
  localCandidateType: string | null;
  remoteCandidateType: string | null;
  remoteAddress: string | null;
  /** Latest keepalive round trip over the control channel. */
  rttMs: number | null;
  /** Unanswered keepalives among the last 30 (percent). */
  lossPct: number;
  /** Where frames go: the packet track (`rtp`) or the packet data channel (null: no active generation). */
  packetPath: PacketPath | null;
  /**
   * Tunnelled packets from the peer lost on the path over the last ~10 s (percent), counted on the
   * packet track from the sender's packet index; null when nothing arrived on it in that window.
   */
  pathLossPct: number | null;
  /** Bytes the active generation holds locally, not yet on the wire (null when not measurable). */
  queuedBytes: number | null;
  txBytes: number;
  rxBytes: number;
  txPackets: number;
  rxPackets: number;
  /** Frames not sent: backpressure + no open link + oversize. */
  drops: number;
  dropsBackpressure: number;
  dropsNotConnected: number;
  /** How the active generation gathered: `all`, `relay#<turn url index>` or `direct` (upgrade probe). */
  connectPlan: string | null;
  /** Epoch ms at which the link entered its current state. */
  since: number;
  /** Completed connection generations (full renegotiations), ICE restarts and direct upgrades. */
  generations: number;
  iceRestarts: number;
  upgrades: number;
}

/** How a generation gathered, as LinkStats.connectPlan says it. */
export function describePlan(plan: ConnectPlan): string {
  return plan.policy === 'relay' ? `relay#${plan.turnIndex}` : plan.policy;
}

/** A link's frame counters: what went out and came in, and what was dropped and why. */
export class LinkTraffic {
  txBytes = 0;
  rxBytes = 0;
  txPackets = 0;
  rxPackets = 0;
  /** The active generation's queue was full (bufferedAmount over the cap). */
  backpressure = 0;
  /** No open generation. */
  notConnected = 0;
  /** Larger than maxFrameBytes. */
  oversize = 0;

  /**
   * Sends one frame on `conn` (the active generation). False means it was dropped (no open link,
   * backpressure, oversize) and counted.
   */
  send(conn: LinkConnection | null, frame: Buffer, maxFrameBytes: number): boolean {
    if (frame.length > maxFrameBytes) {
      this.oversize++;
      return false;
    }
    if (!conn) {
      this.notConnected++;
      return false;
    }
    const r = conn.sendPacket(frame);
    if (r === 'sent') {
      this.sent(frame.length);
      return true;
    }
    if (r === 'backpressure') this.backpressure++;
    else this.notConnected++;
    return false;
  }

  sent(bytes: number): void {
    this.txPackets++;
    this.txBytes += bytes;
  }

  received(bytes: number): void {
    this.rxPackets++;
    this.rxBytes += bytes;
  }

  /** The counters' part of LinkStats. */
  stats(): Pick<
    LinkStats,
    'txBytes' | 'rxBytes' | 'txPackets' | 'rxPackets' | 'drops' | 'dropsBackpressure' | 'dropsNotConnected'
  > {
    return {
      txBytes: this.txBytes,
      rxBytes: this.rxBytes,
      txPackets: this.txPackets,
      rxPackets: this.rxPackets,
      drops: this.backpressure + this.notConnected + this.oversize,
      dropsBackpressure: this.backpressure,
      dropsNotConnected: this.notConnected,
    };
  }
}

/** The part of LinkStats about the active generation's path (null without one) and the link's health. */
export function activeStats(
  active: LinkConnection | null,
  health: LinkHealth,
  now: number,
): Pick<
  LinkStats,
  | 'path'
  | 'localCandidateType'
  | 'remoteCandidateType'
  | 'remoteAddress'
  | 'rttMs'
  | 'lossPct'
  | 'packetPath'
  | 'pathLossPct'
  | 'queuedBytes'
> {
  const path = active?.path() ?? null;
  return {
    path: path?.path ?? null,
    localCandidateType: path?.localCandidateType ?? null,
    remoteCandidateType: path?.remoteCandidateType ?? null,
    remoteAddress: path?.remoteAddress ?? null,
    rttMs: health.rttMs,
    lossPct: health.keepaliveLossPct(now),
    packetPath: active?.packetPath() ?? null,
    pathLossPct: active ? health.trackLossPct(active, active.packetTrackCounters()) : null,
    queuedBytes: active?.localQueueBytes() ?? null,
  };
}
