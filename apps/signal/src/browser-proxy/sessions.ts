import { randomBytes } from 'node:crypto';
import {
  type BrowserProxySession,
  type BrowserSessionInfo,
  ErrorCode,
  type IceServer,
} from '@rtcmesh/protocol';
import { ControlPlaneError } from '../control-plane/errors.js';

export interface BrowserSessionsOptions {
  /** How long a minted session can open links (default 8 h). */
  ttlMs?: number;
  /** Sessions kept at once; minting one more drops the oldest (default 256). */
  maxSessions?: number;
}

export interface BrowserSessionRecord extends BrowserProxySession {
  nodeId: string;
  node: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * The proxy sessions the console minted (issue 20). A session id is the tab's capability: 32 random
 * bytes, in the proxy origin's URL, good for opening links to one node and one target as one
 * principal until it expires. Kept in memory: a restarted server forgets them (the tabs then say the
 * session is unknown; open it again from the console), and in a cluster a session is known on the
 * instance that minted it only.
 */
export class BrowserSessions {
  private readonly sessions = new Map<string, BrowserSessionRecord>();
  private readonly ttlMs: number;
  private readonly max: number;

  constructor(opts: BrowserSessionsOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 8 * 3600_000;
    this.max = opts.maxSessions ?? 256;
  }

  mint(node: { id: string; name: string }, target: string, principal: string): BrowserSessionRecord {
    this.sweep();
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const now = Date.now();
    const rec: BrowserSessionRecord = {
      sessionId: `bs-${randomBytes(32).toString('base64url')}`,
      principal,
      target,
      nodeId: node.id,
      node: node.name,
      createdAt: now,
      expiresAt: now + this.ttlMs,
    };
    this.sessions.set(rec.sessionId, rec);
    return rec;
  }

  /** The live session with this id; throws a ControlPlaneError (404) for an unknown or expired one. */
  require(sessionId: string): BrowserSessionRecord {
    const rec = this.sessions.get(sessionId);
    if (!rec || rec.expiresAt <= Date.now()) {
      if (rec) this.sessions.delete(sessionId);
      throw new ControlPlaneError(
        ErrorCode.NotFound,
        'this browser session is unknown or has expired: open the service again from the console',
        404,
      );
    }
    return rec;
  }

  info(rec: BrowserSessionRecord, iceServers: IceServer[]): BrowserSessionInfo {
    return {
      iceServers,
      sessionId: rec.sessionId,
      node: rec.node,
      nodeId: rec.nodeId,
      target: rec.target,
      principal: rec.principal,
      expiresAt: rec.expiresAt,
    };
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, rec] of this.sessions) if (rec.expiresAt <= now) this.sessions.delete(id);
  }
}
