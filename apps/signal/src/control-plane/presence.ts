import type { ServerMessage } from '@rtcmesh/protocol';
import { LastSeenWriter } from '../store/last-seen.js';
import type { NetworkRow } from '../store/networks.js';
import type { NodeRow } from '../store/nodes.js';
import type { ControlPlaneDeps } from './control-plane.js';
import { peerInfo } from './node-views.js';

// Presence: a node's sessions coming and going, as its peers, the consoles and its last-seen see them.

/** The store and log (last-seen), the local hub and the presence directory of every instance. */
export type PresenceParts = Pick<ControlPlaneDeps, 'store' | 'log' | 'hub' | 'cluster'>;

export class Presence {
  /** Set by stop: session ends no longer touch the (closing) database. */
  private stopped = false;

  /** Session starts and ends update last-seen in batches (store/last-seen.ts). */
  private readonly seen: LastSeenWriter;

  constructor(private readonly parts: PresenceParts) {
    this.seen = new LastSeenWriter(parts.store, parts.log);
  }

  /**
   * Shutdown: from now on session ends are not announced (see server.ts close); every node whose
   * session is ours is recorded as last seen now. Called before the sessions are told to go.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const now = Date.now();
    const { hub, cluster } = this.parts;
    // Only nodes still ours: one that already moved to another instance is online there.
    const ours = hub.all().filter((s) => cluster.entry(s.nodeId)?.instanceId === cluster.instanceId);
    for (const s of ours) this.seen.record(s.nodeId, now, null);
    await this.seen.flush();
  }

  /**
   * A session of `node` authenticated at `since` (it is in the local hub already): announced at once
   * to the presence directory of every instance (peers everywhere get `peer-joined`); last-seen is
   * written in the next batch.
   */
  online(
    session: { nodeId: string; networkId: string; endpoint: string | null },
    node: NodeRow,
    network: NetworkRow,
    agentVersion: string | undefined,
    since: number,
  ): void {
    if (this.stopped) return; // shutting down: the session is about to be told to go
    const { cluster } = this.parts;
    const { nodeId, networkId, endpoint } = session;
    const peer = peerInfo(cluster, node, network);
    peer.online = true;
    peer.lastSeen = since;
    if (endpoint) peer.endpoint = endpoint;
    if (agentVersion) peer.agentVersion = agentVersion;
    cluster.sessionOnline(
      { nodeId, networkId, endpoint, since },
      JSON.stringify({ type: 'peer-joined', peer } satisfies ServerMessage),
    );
    cluster.publishFeed({ kind: 'presence', networkId, nodeId, online: true });
    this.seen.record(nodeId, since, endpoint, agentVersion);
  }

  /** A session authenticated at `since` ended; peers learn it unless the node is online elsewhere. */
  offline(nodeId: string, networkId: string, since: number): void {
    if (this.stopped) return;
    const { cluster } = this.parts;
    const now = Date.now();
    // Not the node's current session (replaced here or on another instance, or the node was removed).
    if (!cluster.sessionOffline(nodeId, networkId, since, now)) return;
    this.seen.record(nodeId, now, null);
    cluster.publishFeed({ kind: 'presence', networkId, nodeId, online: false });
  }

  /** The `peer-joined` for a node that is online on another instance (after a bus outage). */
  async peerJoinedRaw(nodeId: string): Promise<string | null> {
    const { store, cluster } = this.parts;
    const node = await store.nodes.get(nodeId);
    const network = node && (await store.networks.get(node.networkId));
    if (!node || !network) return null;
    return JSON.stringify({
      type: 'peer-joined',
      peer: peerInfo(cluster, node, network),
    } satisfies ServerMessage);
  }
}
