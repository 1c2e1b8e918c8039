import { type CandidateAddressFilter, parseControlMessage, werift } from '@rtcmesh/peer';
import { BROWSER_LINK_CHANNEL, type IceServer, type SignalData } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { RTCPeerConnection } from 'werift';

export interface BrowserPeersOptions {
  logger: Logger;
  /** Sends the answer (or a refusal) back through the signaling server. */
  sendSignal: (linkId: string, data: SignalData) => boolean;
  candidateFilter: CandidateAddressFilter;
  /** The node's current STUN/TURN servers (from welcome/config). */
  iceServers: () => IceServer[];
  /** Concurrent browser links (default 4); more offers are refused with `bye`. */
  maxLinks?: number;
  /** A browser link is closed after this long whatever happens (default 120 s). */
  maxLifetimeMs?: number;
  /** ICE gathering for the answer is cut off after this (default 5 s). */
  gatherTimeoutMs?: number;
}

/** Pings answered per second per link; more are dropped (a browser tab cannot make us busy). */
const MAX_PINGS_PER_SECOND = 50;

/**
 * The agent's side of the console's "test from this browser": one separate werift RTCPeerConnection
 * per browser with a single negotiated `probe` channel that only answers `{t:'ping'}` with `{t:'pong'}`.
 * It shares nothing with the mesh: no packet channel, never touches the forwarding engine, so a
 * browser can measure the path to this agent but never reach the overlay. Any channel the browser
 * opens besides `probe` is closed at once. Bounded: `maxLinks` at a time, each for `maxLifetimeMs`.
 */
export class BrowserPeers {
  private readonly links = new Map<string, { pc: RTCPeerConnection; timer: NodeJS.Timeout }>();
  private readonly maxLinks: number;
  private readonly maxLifetimeMs: number;
  private readonly gatherTimeoutMs: number;
  private closed = false;

  constructor(private readonly opts: BrowserPeersOptions) {
    this.maxLinks = opts.maxLinks ?? 4;
    this.maxLifetimeMs = opts.maxLifetimeMs ?? 120_000;
    this.gatherTimeoutMs = opts.gatherTimeoutMs ?? 5_000;
  }

  get size(): number {
    return this.links.size;
  }

  /** A `browser-signal` from the server: an offer opens a link, `bye` closes it. */
  handle(linkId: string, data: SignalData): void {
    if (data.kind === 'bye') {
      this.closeLink(linkId, 'browser said bye');
      return;
    }
    if (data.kind !== 'description' || data.description.type !== 'offer') return;
    if (this.closed || this.links.size >= this.maxLinks || this.links.has(linkId)) {
      this.opts.sendSignal(linkId, { kind: 'bye', reason: 'too many browser links; try again later' });
      return;
    }
    this.accept(linkId, data.description.sdp).catch((err: Error) => {
      this.opts.logger.warn({ linkId, err: err.message }, 'browser link failed');
      this.closeLink(linkId, 'setup failed');
      this.opts.sendSignal(linkId, { kind: 'bye', reason: 'could not answer the offer' });
    });
  }

  private async accept(linkId: string, offer: string): Promise<void> {
    const log = this.opts.logger.child({ linkId });
    const filter = this.opts.candidateFilter;
    filter.refresh();
    const pc = new (werift().RTCPeerConnection)({
      iceServers: this.opts.iceServers(),
      iceAdditionalHostAddresses: filter.hostAddresses(),
      // Overlay addresses never pair: the browser measures the underlay path, as peers use it.
      iceFilterCandidatePair: (pair) =>
        !filter.isExcluded(pair.localCandidate.host) && !filter.isExcluded(pair.remoteCandidate.host),
    });
    const timer = setTimeout(() => this.closeLink(linkId, 'lifetime over'), this.maxLifetimeMs);
    timer.unref();
    this.links.set(linkId, { pc, timer });
    const probe = pc.createDataChannel(BROWSER_LINK_CHANNEL.label, {
      negotiated: true,
      id: BROWSER_LINK_CHANNEL.id,
      ordered: true,
    });
    pc.onDataChannel.subscribe((other) => other.close());
    let windowStart = 0;
    let answered = 0;
    probe.onMessage.subscribe((data) => {
      const msg = parseControlMessage(typeof data === 'string' ? data : data.toString('utf8'));
      if (msg?.t !== 'ping') return;
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        answered = 0;
      }
      if (++answered > MAX_PINGS_PER_SECOND) return;
      probe.send(JSON.stringify({ t: 'pong', id: msg.id }));
    });
    pc.connectionStateChange.subscribe((state) => {
      log.debug({ state }, 'browser link state');
      if (state === 'failed' || state === 'closed') this.closeLink(linkId, `connection ${state}`);
    });
    probe.stateChanged.subscribe((state) => {
      if (state === 'closed') this.closeLink(linkId, 'channel closed');
    });

    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    await pc.setLocalDescription(await pc.createAnswer());
    await this.gathered(pc);
    const sdp = pc.localDescription?.sdp;
    if (!sdp || !this.links.has(linkId)) throw new Error('no local description');
    this.opts.sendSignal(linkId, { kind: 'description', description: { type: 'answer', sdp } });
    log.info('browser link answered');
  }

  /** Complete SDP, no trickle: the browser gets the answer in one HTTP response. */
  private gathered(pc: RTCPeerConnection): Promise<void> {
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        sub.unSubscribe();
        resolve();
      }, this.gatherTimeoutMs);
      const sub = pc.iceGatheringStateChange.subscribe((s) => {
        if (s !== 'complete') return;
        clearTimeout(t);
        sub.unSubscribe();
        resolve();
      });
    });
  }

  private closeLink(linkId: string, reason: string): void {
    const l = this.links.get(linkId);
    if (!l) return;
    this.links.delete(linkId);
    clearTimeout(l.timer);
    this.opts.logger.info({ linkId, reason }, 'browser link closed');
    void l.pc.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const id of [...this.links.keys()]) this.closeLink(id, 'agent stopping');
  }
}
