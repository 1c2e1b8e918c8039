import { randomBytes } from 'node:crypto';
import { type BrowserProxySession, type ClientBrowserSignal, ErrorCode } from '@rtcmesh/protocol';
import type { Cluster } from '../cluster/cluster.js';
import { ControlPlaneError } from '../control-plane/errors.js';
import type { Hub, SessionHandle } from '../ws/hub.js';

export type BrowserLinkRelayOptions = {
  /** How long the agent has to answer an offer (default 10 s). */
  answerTimeoutMs?: number;
  /** Offers waiting for an answer, per agent (default 4) and in total (default 64). */
  maxPendingPerNode?: number;
  maxPending?: number;
  /** Agents on other server instances are reached through the cluster (absent: this instance only). */
  cluster?: Cluster;
};

/** An offer this instance forwarded to one of its agents for a browser signed in elsewhere. */
type Forwarded = { nodeId: string; origin: string; timer: NodeJS.Timeout };

type Pending = {
  nodeId: string;
  resolve: (sdp: string) => void;
  reject: (err: ControlPlaneError) => void;
  timer: NodeJS.Timeout;
};

/**
 * Relays one browser offer to an agent and its answer back (console "test from this browser").
 * The browser is not a node and never joins: the server mints a one-off `linkId`, sends the offer to
 * the agent's live session as `browser-signal`, and waits for the agent's `browser-signal` answer.
 * Only the agent the offer went to can answer it (its authenticated session's node id is checked),
 * so no node can inject an answer into another node's browser link. Callers must be signed-in admins
 * (the REST route sits behind the admin middleware).
 */
export class BrowserLinkRelay {
  private readonly pending = new Map<string, Pending>();
  private readonly forwarded = new Map<string, Forwarded>();
  private readonly cluster: Cluster | undefined;
  private readonly timeoutMs: number;
  private readonly maxPerNode: number;
  private readonly maxTotal: number;

  constructor(
    private readonly hub: Hub,
    opts: BrowserLinkRelayOptions = {},
  ) {
    this.timeoutMs = opts.answerTimeoutMs ?? 10_000;
    this.maxPerNode = opts.maxPendingPerNode ?? 4;
    this.maxTotal = opts.maxPending ?? 64;
    this.cluster = opts.cluster;
    if (this.cluster) {
      this.cluster.onBrowserOffer = (from, linkId, nodeId, sdp, proxy) =>
        this.forwardOffer(from, linkId, nodeId, sdp, proxy);
      this.cluster.onBrowserAnswer = (nodeId, signal) => void this.answer(nodeId, signal);
    }
  }

  get size(): number {
    return this.pending.size;
  }

  /**
   * Sends the offer to `nodeId` and resolves with the agent's answer SDP. Throws ControlPlaneError.
   * `proxy`: the proxy session the link is for (who asks, which target); absent: a probe link.
   */
  open(
    nodeId: string,
    offerSdp: string,
    proxy?: BrowserProxySession,
  ): Promise<{ linkId: string; sdp: string }> {
    const session = this.hub.get(nodeId);
    const elsewhere = session ? undefined : this.cluster?.entry(nodeId);
    if (!session && (!elsewhere || elsewhere.instanceId === this.cluster?.instanceId))
      return Promise.reject(new ControlPlaneError(ErrorCode.PeerOffline, `node ${nodeId} is offline`, 409));
    let perNode = 0;
    for (const p of this.pending.values()) if (p.nodeId === nodeId) perNode++;
    if (perNode >= this.maxPerNode || this.pending.size >= this.maxTotal)
      return Promise.reject(
        new ControlPlaneError(ErrorCode.Busy, 'too many browser links being set up; retry', 429),
      );
    const linkId = `bl-${randomBytes(12).toString('base64url')}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(linkId);
        reject(
          new ControlPlaneError(ErrorCode.Timeout, `node ${nodeId} did not answer the browser offer`, 504),
        );
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(linkId, {
        nodeId,
        resolve: (sdp) => resolve({ linkId, sdp }),
        reject,
        timer,
      });
      if (session) this.sendOffer(session, linkId, offerSdp, proxy);
      else
        this.cluster?.bus.publish(
          { t: 'browser-offer', linkId, nodeId, sdp: offerSdp, ...(proxy ? { proxy } : {}) },
          (elsewhere as { instanceId: string }).instanceId,
        );
    });
  }

  private sendOffer(session: SessionHandle, linkId: string, sdp: string, proxy?: BrowserProxySession): void {
    session.send({
      type: 'browser-signal',
      linkId,
      data: { kind: 'description', description: { type: 'offer', sdp } },
      ...(proxy ? { proxy } : {}),
    });
  }

  /** An offer from another instance for one of our agents: pass it on, remember where the answer goes. */
  private forwardOffer(
    origin: string,
    linkId: string,
    nodeId: string,
    sdp: string,
    proxy?: BrowserProxySession,
  ): void {
    const session = this.hub.get(nodeId);
    if (!session || this.forwarded.has(linkId) || this.forwarded.size >= this.maxTotal) return;
    const timer = setTimeout(() => this.forwarded.delete(linkId), this.timeoutMs);
    timer.unref();
    this.forwarded.set(linkId, { nodeId, origin, timer });
    this.sendOffer(session, linkId, sdp, proxy);
  }

  /**
   * A `browser-signal` from the authenticated session of `fromNodeId`. Returns false (and changes
   * nothing) when no offer with that linkId went to that node.
   */
  answer(fromNodeId: string, msg: ClientBrowserSignal): boolean {
    const f = this.forwarded.get(msg.linkId);
    if (f && f.nodeId === fromNodeId) {
      // Answer to an offer from a browser signed in on another instance: back it goes.
      this.forwarded.delete(msg.linkId);
      clearTimeout(f.timer);
      this.cluster?.bus.publish({ t: 'browser-answer', nodeId: fromNodeId, signal: msg }, f.origin);
      return true;
    }
    const p = this.pending.get(msg.linkId);
    if (!p || p.nodeId !== fromNodeId) return false;
    this.pending.delete(msg.linkId);
    clearTimeout(p.timer);
    const d = msg.data;
    if (d.kind === 'description' && d.description.type === 'answer') p.resolve(d.description.sdp);
    else
      p.reject(
        new ControlPlaneError(
          ErrorCode.Busy,
          `node refused the browser link${d.kind === 'bye' && d.reason ? `: ${d.reason}` : ''}`,
          503,
        ),
      );
    return true;
  }

  /** Fails every pending offer (server shutdown). */
  close(): void {
    for (const f of this.forwarded.values()) clearTimeout(f.timer);
    this.forwarded.clear();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ControlPlaneError(ErrorCode.Internal, 'server shutting down', 503));
      this.pending.delete(id);
    }
  }
}
