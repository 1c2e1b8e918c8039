import { type CandidateAddressFilter, parseControlMessage, werift } from '@rtcmesh/peer';
import type { BrowserAccess } from '@rtcmesh/policy';
import {
  BROWSER_LINK_CHANNEL,
  BROWSER_STREAM_LABEL,
  type BrowserProxySession,
  type IceServer,
  type SignalData,
} from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { RTCPeerConnection } from 'werift';
import { BrowserProxy, type BrowserProxyLimits, type BrowserProxyStats } from './browser-proxy.js';

export interface BrowserPeersOptions {
  logger: Logger;
  /** Sends the answer (or a refusal) back through the signaling server. */
  sendSignal: (linkId: string, data: SignalData) => boolean;
  candidateFilter: CandidateAddressFilter;
  /** The node's current STUN/TURN servers (from welcome/config). */
  iceServers: () => IceServer[];
  /** Concurrent browser links (default 8: tabs of proxy sessions and ping tests); more offers are refused with `bye`. */
  maxLinks?: number;
  /** A browser link is closed after this long whatever happens (default 120 s). */
  maxLifetimeMs?: number;
  /** ICE gathering for the answer is cut off after this (default 5 s). */
  gatherTimeoutMs?: number;
  /** Proxy sessions (issue 20): the policy's verdict for a browser principal and a target address. */
  access?: (principal: string, ip: string, port: number) => BrowserAccess;
  /** A proxy session opened, closed or had a stream refused: for the events feed. */
  onSessionEvent?: (e: BrowserSessionEvent) => void;
  /** A proxy link with no stream activity for this long is closed (default 10 min). */
  proxyIdleMs?: number;
  /** A proxy link is closed after this long whatever happens (default 12 h). */
  proxyMaxLifetimeMs?: number;
  proxyLimits?: Partial<BrowserProxyLimits>;
}

export type BrowserSessionEvent =
  | { kind: 'opened'; stats: BrowserProxyStats }
  | { kind: 'closed'; stats: BrowserProxyStats; reason: string }
  | { kind: 'refused'; principal: string; target: string; reason: string };

type BrowserLink = {
  pc: RTCPeerConnection;
  timer: NodeJS.Timeout;
  proxy?: BrowserProxy;
  idle?: NodeJS.Timeout;
};

/** Pings answered per second per link; more are dropped (a browser tab cannot make us busy). */
const MAX_PINGS_PER_SECOND = 50;

/**
 * The agent's side of a browser link: one separate werift RTCPeerConnection per browser tab, with a
 * negotiated `probe` channel that only answers `{t:'ping'}` with `{t:'pong'}` (the console's "test
 * from this browser"). It shares nothing with the mesh: no packet channel, never touches the
 * forwarding engine. A link the server opened for a proxy session (issue 20) also takes `stream`
 * channels, each one connection to the session's target (browser-proxy.ts), allowed by the policy
 * for the session's `browser:` principal; any other channel is closed at once. Bounded: `maxLinks`
 * at a time; a probe link lives `maxLifetimeMs`, a proxy link until idle for `proxyIdleMs`.
 */
export class BrowserPeers {
  private readonly links = new Map<string, BrowserLink>();
  private readonly maxLinks: number;
  private readonly maxLifetimeMs: number;
  private readonly gatherTimeoutMs: number;
  private closed = false;
  /** Proxy offers whose policy check is running. */
  private judging = 0;

  constructor(private readonly opts: BrowserPeersOptions) {
    this.maxLinks = opts.maxLinks ?? 8;
    this.maxLifetimeMs = opts.maxLifetimeMs ?? 120_000;
    this.gatherTimeoutMs = opts.gatherTimeoutMs ?? 5_000;
  }

  get size(): number {
    return this.links.size;
  }

  /** The open proxy sessions (status, console). */
  sessions(): BrowserProxyStats[] {
    return [...this.links.values()].flatMap((l) => (l.proxy ? [l.proxy.snapshot()] : []));
  }

  /** A `browser-signal` from the server: an offer opens a link (a proxy session's with `proxy`), `bye` closes it. */
  handle(linkId: string, data: SignalData, proxy?: BrowserProxySession): void {
    if (data.kind === 'bye') {
      this.closeLink(linkId, 'browser said bye');
      return;
    }
    if (data.kind !== 'description' || data.description.type !== 'offer') return;
    if (this.closed || this.links.size + this.judging >= this.maxLinks || this.links.has(linkId)) {
      this.opts.sendSignal(linkId, { kind: 'bye', reason: 'too many browser links; try again later' });
      return;
    }
    this.accept(linkId, data.description.sdp, proxy).catch((err: Error) => {
      this.opts.logger.warn({ linkId, err: err.message }, 'browser link failed');
      this.closeLink(linkId, 'setup failed');
      this.opts.sendSignal(linkId, {
        kind: 'bye',
        reason: err instanceof Refusal ? err.message : 'could not answer the offer',
      });
    });
  }

  /** A proxy session for this offer, or a Refusal the tab shows (bad target, the policy says no). */
  private async proxyFor(linkId: string, s: BrowserProxySession): Promise<BrowserProxy> {
    const access = this.opts.access;
    if (!access) throw new Refusal('this agent does not proxy for browsers');
    let proxy: BrowserProxy;
    try {
      proxy = new BrowserProxy({
        sessionId: s.sessionId,
        principal: s.principal,
        target: s.target,
        access,
        logger: this.opts.logger.child({ linkId, session: s.sessionId }),
        ...(this.opts.proxyLimits ? { limits: this.opts.proxyLimits } : {}),
        onActivity: () => this.links.get(linkId)?.idle?.refresh(),
        onRefused: (reason) =>
          this.opts.onSessionEvent?.({ kind: 'refused', principal: s.principal, target: s.target, reason }),
      });
    } catch (err) {
      throw new Refusal((err as Error).message);
    }
    const verdict = await proxy.check();
    if (!verdict.ok) {
      proxy.close();
      this.opts.onSessionEvent?.({
        kind: 'refused',
        principal: s.principal,
        target: s.target,
        reason: verdict.reason,
      });
      throw new Refusal(`refused by the network policy: ${verdict.reason}`);
    }
    return proxy;
  }

  private async accept(linkId: string, offer: string, session?: BrowserProxySession): Promise<void> {
    const log = this.opts.logger.child({ linkId });
    // Counted before the first await: offers being judged count against maxLinks.
    this.judging++;
    let proxy: BrowserProxy | undefined;
    try {
      proxy = session ? await this.proxyFor(linkId, session) : undefined;
    } finally {
      this.judging--;
    }
    if (this.closed) {
      proxy?.close();
      throw new Refusal('the agent is stopping');
    }
    const filter = this.opts.candidateFilter;
    filter.refresh();
    const pc = new (werift().RTCPeerConnection)({
      iceServers: this.opts.iceServers(),
      iceAdditionalHostAddresses: filter.hostAddresses(),
      // Overlay addresses never pair: the browser measures the underlay path, as peers use it.
      iceFilterCandidatePair: (pair) =>
        !filter.isExcluded(pair.localCandidate.host) && !filter.isExcluded(pair.remoteCandidate.host),
    });
    const lifetime = proxy ? (this.opts.proxyMaxLifetimeMs ?? 12 * 3600_000) : this.maxLifetimeMs;
    const timer = setTimeout(() => this.closeLink(linkId, 'lifetime over'), lifetime);
    timer.unref();
    const link: BrowserLink = { pc, timer };
    if (proxy) {
      link.proxy = proxy;
      link.idle = setTimeout(() => this.closeLink(linkId, 'idle'), this.opts.proxyIdleMs ?? 10 * 60_000);
      link.idle.unref();
    }
    this.links.set(linkId, link);
    const probe = pc.createDataChannel(BROWSER_LINK_CHANNEL.label, {
      negotiated: true,
      id: BROWSER_LINK_CHANNEL.id,
      ordered: true,
    });
    pc.onDataChannel.subscribe((ch) => {
      if (proxy && ch.label === BROWSER_STREAM_LABEL) proxy.attach(ch);
      else ch.close();
    });
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
    log.info(proxy ? { target: proxy.snapshot().target } : {}, 'browser link answered');
    if (proxy) this.opts.onSessionEvent?.({ kind: 'opened', stats: proxy.snapshot() });
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
    if (l.idle) clearTimeout(l.idle);
    if (l.proxy) {
      const stats = l.proxy.snapshot();
      l.proxy.close();
      this.opts.onSessionEvent?.({ kind: 'closed', stats, reason });
    }
    this.opts.logger.info({ linkId, reason }, 'browser link closed');
    void l.pc.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const id of [...this.links.keys()]) this.closeLink(id, 'agent stopping');
  }
}

/** A refusal the browser is told as is (the `bye` reason becomes the tab's error page). */
class Refusal extends Error {}
