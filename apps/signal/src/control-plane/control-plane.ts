import type {
  Advertise,
  AgentEvent,
  CreateKeyRequest,
  CreateKeyResponse,
  CreateNetworkRequest,
  FeedEventInput,
  JoinKeyInfo,
  JoinRequest,
  JoinResponse,
  LinkReport,
  LockDisablement,
  NetworkSummary,
  NodeSummary,
  PeerInfo,
  ScalarRecord,
  SelfInfo,
  SetL2SettingsRequest,
} from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { BrowserLinkRelay } from '../browser-peer/relay.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Feed } from '../feed/feed.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Store } from '../store/index.js';
import type { NetworkRow } from '../store/networks.js';
import type { NodeRow } from '../store/nodes.js';
import type { LatestTelemetry, TelemetryChange } from '../telemetry/latest.js';
import { type IceConfig, iceServersFor, type MintedIceServers } from '../turn/ice-servers.js';
import type { Hub } from '../ws/hub.js';
import { advertise, recordAgentEvent, recordTelemetry, setNetcheck } from './agent-reports.js';
import type { ControlPlaneContext } from './context.js';
import { join } from './join.js';
import { createKey, listKeys, revokeKey } from './join-keys.js';
import {
  createNetwork,
  deleteNetwork,
  listNetworks,
  networkSummary,
  requireNetwork,
  setL2Settings,
} from './networks.js';
import { rotateNodeKey, setNetworkLock, signNodeKey } from './node-keys.js';
import { peerInfo, selfInfo } from './node-views.js';
import { announceUpdate, listNodes, nodeSummary, peersOf, removeNode, requireNode } from './nodes.js';
import { Presence } from './presence.js';

export { networkInfo } from './views.js';

export type ControlPlaneDeps = {
  store: Store;
  hub: Hub;
  /** Presence across instances and delivery to sessions on other instances (cluster/cluster.ts). */
  cluster: Cluster;
  feed: Feed;
  telemetry: LatestTelemetry;
  metrics: Metrics;
  log: Logger;
  ice: IceConfig;
  /** Console browser links (browser-peer/relay.ts); absent in tests that do not need them. */
  browserLinks?: BrowserLinkRelay;
  /** Addresses of this server and its STUN/TURN servers: no advertised route may cover them. */
  protectedAddresses?: readonly string[];
};

/**
 * The control plane's operations, shared by the REST API, the admin socket and the WebSocket sessions.
 * Every state change is persisted first, then announced (peers over the hub, console over the feed).
 * Each operation lives in the file of its concept (networks.ts, join-keys.ts, join.ts, nodes.ts,
 * node-views.ts, presence.ts, agent-reports.ts, node-keys.ts); this class composes them.
 */
export class ControlPlane {
  /** Sessions coming and going, and last-seen (presence.ts). */
  private readonly presence: Presence;

  /** What its operations, route approval, the policy and renaming work with (context.ts). */
  private readonly ctx: ControlPlaneContext;

  constructor(private readonly deps: ControlPlaneDeps) {
    this.presence = new Presence(deps);
    this.ctx = {
      controlPlane: this,
      store: deps.store,
      log: deps.log,
      cluster: deps.cluster,
      protectedAddresses: deps.protectedAddresses ?? [],
    };
  }

  /**
   * Shutdown: from now on session ends are not announced (see server.ts close); every node whose
   * session is ours is recorded as last seen now. Called before the sessions are told to go.
   */
  stop(): Promise<void> {
    return this.presence.stop();
  }

  // ---- networks (networks.ts) ----

  createNetwork(req: CreateNetworkRequest): Promise<NetworkSummary> {
    return createNetwork(this.ctx, req);
  }

  requireNetwork(idOrName: string): Promise<NetworkRow> {
    return requireNetwork(this.deps.store, idOrName);
  }

  networkSummary(n: NetworkRow): Promise<NetworkSummary> {
    return networkSummary(this.deps, n);
  }

  listNetworks(): Promise<NetworkSummary[]> {
    return listNetworks(this.ctx);
  }

  /** `rtcmesh-signal network delete`; with `force`, its nodes are removed too (networks.ts). */
  deleteNetwork(idOrName: string, force: boolean): Promise<NetworkSummary> {
    return deleteNetwork(this.ctx, this.deps, idOrName, force);
  }

  /** An L2 network's storm control and DHCP filtering, applied live by its members (networks.ts). */
  setL2Settings(networkIdOrName: string, patch: SetL2SettingsRequest): Promise<NetworkSummary> {
    return setL2Settings(this.ctx, networkIdOrName, patch);
  }

  // ---- join keys (join-keys.ts) and the join (join.ts) ----

  createKey(req: CreateKeyRequest): Promise<CreateKeyResponse> {
    return createKey(this.ctx, req);
  }

  listKeys(network?: string): Promise<JoinKeyInfo[]> {
    return listKeys(this.ctx, network);
  }

  revokeKey(id: string): Promise<JoinKeyInfo> {
    return revokeKey(this.ctx, id);
  }

  join(req: JoinRequest, remoteAddress: string | null): Promise<JoinResponse> {
    return join(this.deps, req, remoteAddress);
  }

  // ---- nodes (nodes.ts) and how they are shown (node-views.ts) ----

  /** A node by id, or by name (within `network`, or unique across networks) (nodes.ts). */
  requireNode(idOrName: string, network?: string): Promise<NodeRow> {
    return requireNode(this.deps.store, idOrName, network);
  }

  listNodes(network?: string): Promise<NodeSummary[]> {
    return listNodes(this.deps, network);
  }

  /** Deletes the node, frees its addresses, bans its key, tells its peers and closes its session. */
  removeNode(idOrName: string, network?: string): Promise<NodeSummary> {
    return removeNode(this.ctx, this.deps, idOrName, network);
  }

  nodeSummary(n: NodeRow): Promise<NodeSummary> {
    return nodeSummary(this.deps, n);
  }

  peerInfo(n: NodeRow, network: NetworkRow): PeerInfo {
    return peerInfo(this.deps.cluster, n, network);
  }

  selfInfo(n: NodeRow, network: NetworkRow): SelfInfo {
    return selfInfo(n, network);
  }

  peersOf(n: NodeRow, network: NetworkRow): Promise<PeerInfo[]> {
    return peersOf(this.deps, n, network);
  }

  /** Tells the node's peers, the consoles and (`toSelf`) the node what it looks like now (nodes.ts). */
  announceUpdate(nodeId: string, o: { toSelf?: boolean } = {}): Promise<NodeSummary | undefined> {
    return announceUpdate(this.deps, nodeId, o);
  }

  iceServersFor(nodeId: string): MintedIceServers {
    return iceServersFor(this.deps.ice, nodeId);
  }

  // ---- session lifecycle (called by ws/session.ts; presence.ts) ----

  /** A session authenticated: peers everywhere get `peer-joined`, last-seen follows in a batch. */
  sessionOnline(
    session: { nodeId: string; networkId: string; endpoint: string | null },
    node: NodeRow,
    network: NetworkRow,
    agentVersion: string | undefined,
    since: number,
  ): void {
    this.presence.online(session, node, network, agentVersion, since);
  }

  /** A session authenticated at `since` ended; peers learn it unless the node is online elsewhere. */
  sessionOffline(nodeId: string, networkId: string, since: number): void {
    this.presence.offline(nodeId, networkId, since);
  }

  /** The `peer-joined` for a node that is online on another instance (after a bus outage). */
  peerJoinedRaw(nodeId: string): Promise<string | null> {
    return this.presence.peerJoinedRaw(nodeId);
  }

  /** Console feed events reach the consoles of every instance. */
  publishFeed(input: FeedEventInput): void {
    this.deps.cluster.publishFeed(input);
  }

  // ---- what agents report on their sessions (agent-reports.ts) ----

  advertise(nodeId: string, msg: Advertise): Promise<void> {
    return advertise(this.ctx, this.deps, nodeId, msg);
  }

  setNetcheck(nodeId: string, netcheck: ScalarRecord): Promise<void> {
    return setNetcheck(this.ctx, nodeId, netcheck);
  }

  recordTelemetry(
    nodeId: string,
    networkId: string,
    links: LinkReport[],
    change: TelemetryChange = {},
  ): void {
    recordTelemetry(this.deps, nodeId, networkId, links, change);
  }

  recordAgentEvent(nodeId: string, networkId: string, event: AgentEvent): void {
    recordAgentEvent(this.deps, nodeId, networkId, event);
  }

  // ---- node keys: rotation and locked networks (node-keys.ts) ----

  /** Rotates a node's key (node-keys.ts). */
  rekey(nodeId: string, publicKey: string, signature: string): Promise<NodeRow> {
    return rotateNodeKey(this.ctx, nodeId, publicKey, signature);
  }

  /** Locks a network to operator keys, unlocks it, or lifts its lock with a signed disablement (node-keys.ts). */
  setLock(
    networkIdOrName: string,
    keys: readonly string[],
    disablement?: LockDisablement,
  ): Promise<NetworkSummary> {
    return setNetworkLock(this.ctx, networkIdOrName, keys, disablement);
  }

  /** Stores an operator's signature over a node's current key (node-keys.ts). */
  signNodeKey(idOrName: string, signature: string, inNetwork?: string): Promise<NodeSummary> {
    return signNodeKey(this.ctx, idOrName, signature, inNetwork);
  }
}
