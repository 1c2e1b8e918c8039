import type { ServerMessage } from '@rtcmesh/protocol';

/** What the hub needs from an authenticated session. */
export interface SessionHandle {
  readonly nodeId: string;
  readonly networkId: string;
  readonly endpoint: string | null;
  send(msg: ServerMessage): void;
  /** Sends an already serialized message (fan-out serializes once). */
  sendRaw(raw: string): void;
  /** Sends `bye` (when given) and closes with `code`. */
  end(code: number, bye?: Extract<ServerMessage, { type: 'bye' }>): void;
}

/** Authenticated sessions by node id, one per node; fan-out per network. */
export class Hub {
  private readonly byNode = new Map<string, SessionHandle>();

  get size(): number {
    return this.byNode.size;
  }

  get(nodeId: string): SessionHandle | undefined {
    return this.byNode.get(nodeId);
  }

  isOnline(nodeId: string): boolean {
    return this.byNode.has(nodeId);
  }

  /** Registers `s`; returns the session it replaces, if any (the caller closes that one). */
  add(s: SessionHandle): SessionHandle | undefined {
    const old = this.byNode.get(s.nodeId);
    this.byNode.set(s.nodeId, s);
    return old;
  }

  /** Removes `s` only if it is still the node's current session. Returns whether it was. */
  remove(s: SessionHandle): boolean {
    if (this.byNode.get(s.nodeId) !== s) return false;
    this.byNode.delete(s.nodeId);
    return true;
  }

  broadcast(networkId: string, msg: ServerMessage, exceptNodeId?: string): void {
    // Serialize once: with N peers this is the hot path of presence updates.
    this.broadcastRaw(networkId, JSON.stringify(msg), exceptNodeId);
  }

  /** Sends an already serialized message to the network's local sessions. */
  broadcastRaw(networkId: string, raw: string, exceptNodeId?: string): void {
    for (const s of this.byNode.values()) {
      if (s.networkId === networkId && s.nodeId !== exceptNodeId) s.sendRaw(raw);
    }
  }

  all(): SessionHandle[] {
    return [...this.byNode.values()];
  }

  onlineCount(networkId: string): number {
    let n = 0;
    for (const s of this.byNode.values()) if (s.networkId === networkId) n++;
    return n;
  }
}
