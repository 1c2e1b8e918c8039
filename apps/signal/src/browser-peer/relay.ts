import { randomBytes } from 'node:crypto';
import { type ClientBrowserSignal, ErrorCode } from '@rtcmesh/protocol';
import { MeshError } from '../mesh/errors.js';
import type { Hub } from '../ws/hub.js';

export type BrowserLinkRelayOptions = {
  /** How long the agent has to answer an offer (default 10 s). */
  answerTimeoutMs?: number;
  /** Offers waiting for an answer, per agent (default 4) and in total (default 64). */
  maxPendingPerNode?: number;
  maxPending?: number;
};

type Pending = {
  nodeId: string;
  resolve: (sdp: string) => void;
  reject: (err: MeshError) => void;
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
  }

  get size(): number {
    return this.pending.size;
  }

  /** Sends the offer to `nodeId` and resolves with the agent's answer SDP. Throws MeshError. */
  open(nodeId: string, offerSdp: string): Promise<{ linkId: string; sdp: string }> {
    const session = this.hub.get(nodeId);
    if (!session)
      return Promise.reject(new MeshError(ErrorCode.PeerOffline, `node ${nodeId} is offline`, 409));
    let perNode = 0;
    for (const p of this.pending.values()) if (p.nodeId === nodeId) perNode++;
    if (perNode >= this.maxPerNode || this.pending.size >= this.maxTotal)
      return Promise.reject(new MeshError(ErrorCode.Busy, 'too many browser links being set up; retry', 429));
    const linkId = `bl-${randomBytes(12).toString('base64url')}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(linkId);
        reject(new MeshError(ErrorCode.Timeout, `node ${nodeId} did not answer the browser offer`, 504));
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(linkId, {
        nodeId,
        resolve: (sdp) => resolve({ linkId, sdp }),
        reject,
        timer,
      });
      session.send({
        type: 'browser-signal',
        linkId,
        data: { kind: 'description', description: { type: 'offer', sdp: offerSdp } },
      });
    });
  }

  /**
   * A `browser-signal` from the authenticated session of `fromNodeId`. Returns false (and changes
   * nothing) when no offer with that linkId went to that node.
   */
  answer(fromNodeId: string, msg: ClientBrowserSignal): boolean {
    const p = this.pending.get(msg.linkId);
    if (!p || p.nodeId !== fromNodeId) return false;
    this.pending.delete(msg.linkId);
    clearTimeout(p.timer);
    const d = msg.data;
    if (d.kind === 'description' && d.description.type === 'answer') p.resolve(d.description.sdp);
    else
      p.reject(
        new MeshError(
          ErrorCode.Busy,
          `node refused the browser link${d.kind === 'bye' && d.reason ? `: ${d.reason}` : ''}`,
          503,
        ),
      );
    return true;
  }

  /** Fails every pending offer (server shutdown). */
  close(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new MeshError(ErrorCode.Internal, 'server shutting down', 503));
      this.pending.delete(id);
    }
  }
}
