import {
  type Advertise,
  type AgentEvent,
  type Binding,
  type CreateKeyRequest,
  type CreateKeyResponse,
  type CreateNetworkRequest,
  DEFAULT_L2_SETTINGS,
  ErrorCode,
  type FeedEventInput,
  type JoinKeyInfo,
  type JoinRequest,
  type JoinResponse,
  L2SettingsSchema,
  LIMITS,
  type LinkReport,
  type LockDisablement,
  type NetworkSummary,
  type NodeSummary,
  type PeerInfo,
  type Route,
  rawPublicKeyProblem,
  type ScalarRecord,
  type SelfInfo,
  type ServerMessage,
  type SetL2SettingsRequest,
  verifyJoinProof,
  verifyNodeKeySignature,
} from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { recordAudit } from '../audit/audit.js';
import { formatJoinKey, newJoinKeyId, newJoinKeySecret, parseJoinKey } from '../auth/join-key.js';
import { hashSecret, secretMatches } from '../auth/secrets.js';
import type { BrowserLinkRelay } from '../browser-peer/relay.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Feed } from '../feed/feed.js';
import { formatCidr, type Ipv4Cidr, parseIpv4Cidr } from '../ipam/ipv4.js';
import { canonicalIpv6Prefix, ipv6PrefixProblem, newUlaPrefix, nodeIps } from '../ipam/ipv6.js';
import type { Metrics } from '../metrics/metrics.js';
import { approvedRoutes, autoApprove } from '../routes/route-approval.js';
import { isUniqueViolation, type Store } from '../store/index.js';
import type { JoinKeyRow } from '../store/join-keys.js';
import { LastSeenWriter } from '../store/last-seen.js';
import type { NetworkRow } from '../store/networks.js';
import type { NodeRow } from '../store/nodes.js';
import type { LatestTelemetry, TelemetryChange } from '../telemetry/latest.js';
import { type IceConfig, iceServersFor, type MintedIceServers } from '../turn/ice-servers.js';
import type { Hub } from '../ws/hub.js';
import { normalizeBindings, normalizeRoutes } from './advertisements.js';
import { ControlPlaneError } from './errors.js';
import { newId } from './ids.js';
import { allocateNode } from './node-allocation.js';
import { rotateNodeKey, setNetworkLock, signNodeKey } from './node-keys.js';
import { addressesOf, keyInfo, networkInfo } from './views.js';

export { networkInfo } from './views.js';

import type { ControlPlaneContext } from './context.js';

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

const DEFAULT_CIDR = '10.99.0.0/24';
const DEFAULT_MTU = 1280;

/**
 * The control plane's operations, shared by the REST API, the admin socket and the WebSocket sessions.
 * Every state change is persisted first, then announced (peers over the hub, console over the feed).
 */
export class ControlPlane {
  /** Set by shutdown: session ends no longer touch the (closing) database. */
  private stopped = false;

  /** Session starts and ends update last-seen in batches (store/last-seen.ts). */
  private readonly seen: LastSeenWriter;

  /** What route approval, the policy and renaming work with (context.ts). */
  private readonly ctx: ControlPlaneContext;

  constructor(private readonly deps: ControlPlaneDeps) {
    this.seen = new LastSeenWriter(deps.store, deps.log);
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
  async stop(): Promise<void> {
    this.stopped = true;
    const now = Date.now();
    // Only nodes still ours: one that already moved to another instance is online there.
    const ours = this.deps.hub
      .all()
      .filter((s) => this.deps.cluster.entry(s.nodeId)?.instanceId === this.deps.cluster.instanceId);
    for (const s of ours) this.seen.record(s.nodeId, now, null);
    await this.seen.flush();
  }

  private get store(): Store {
    return this.deps.store;
  }

  // ---- networks ----

  async createNetwork(req: CreateNetworkRequest): Promise<NetworkSummary> {
    const cidr = parseIpv4Cidr(req.cidr ?? DEFAULT_CIDR);
    if (!cidr || cidr.prefix < 8 || cidr.prefix > 30) {
      throw new ControlPlaneError(ErrorCode.InvalidMessage, 'cidr must be an IPv4 CIDR between /8 and /30');
    }
    const cidr6 = ipv6Of(req, cidr);
    if (await this.store.networks.find(req.name))
      throw new ControlPlaneError(ErrorCode.Conflict, `network ${req.name} exists`, 409);
    const row: NetworkRow = {
      id: newId('net'),
      name: req.name,
      mode: req.mode,
      cidr: formatCidr(cidr),
      ...(cidr6 ? { cidr6 } : {}),
      mtu: req.mtu ?? DEFAULT_MTU,
      createdAt: Date.now(),
    };
    try {
      await this.store.networks.insert(row);
    } catch (err) {
      // Another instance (or request) created the same name between our check and insert.
      if (isUniqueViolation(err))
        throw new ControlPlaneError(ErrorCode.Conflict, `network ${req.name} exists`, 409);
      throw err;
    }
    const summary = await this.networkSummary(row);
    this.publishFeed({ kind: 'network', action: 'created', network: summary });
    this.deps.log.info(
      { network: row.id, name: row.name, mode: row.mode, cidr: row.cidr, cidr6: row.cidr6 },
      'network created',
    );
    return summary;
  }

  async requireNetwork(idOrName: string): Promise<NetworkRow> {
    const n = await this.store.networks.find(idOrName);
    if (!n) throw new ControlPlaneError(ErrorCode.NotFound, `no network ${idOrName}`, 404);
    return n;
  }

  async networkSummary(n: NetworkRow): Promise<NetworkSummary> {
    return {
      ...networkInfo(n),
      createdAt: n.createdAt,
      nodeCount: await this.store.nodes.countInNetwork(n.id),
      onlineCount: this.deps.cluster.onlineCount(n.id),
    };
  }

  async listNetworks(): Promise<NetworkSummary[]> {
    return Promise.all((await this.store.networks.list()).map((n) => this.networkSummary(n)));
  }

  // ---- join keys ----

  async createKey(req: CreateKeyRequest): Promise<CreateKeyResponse> {
    const network = await this.requireNetwork(req.network);
    const id = newJoinKeyId();
    const secret = newJoinKeySecret();
    const now = Date.now();
    const row: JoinKeyRow = {
      id,
      networkId: network.id,
      secretHash: hashSecret(secret),
      reusable: req.reusable ?? false,
      description: req.description ?? null,
      createdAt: now,
      expiresAt: req.ttlSeconds === undefined ? null : now + req.ttlSeconds * 1000,
      revokedAt: null,
      uses: 0,
    };
    await this.store.joinKeys.insert(row);
    const info = keyInfo(row);
    this.publishFeed({ kind: 'key', action: 'created', key: info });
    this.deps.log.info(
      { key: id, network: network.id, reusable: row.reusable, expiresAt: row.expiresAt },
      'join key created',
    );
    return { key: formatJoinKey(id, secret), info };
  }

  async listKeys(network?: string): Promise<JoinKeyInfo[]> {
    const networkId = network === undefined ? undefined : (await this.requireNetwork(network)).id;
    return (await this.store.joinKeys.list(networkId)).map(keyInfo);
  }

  async revokeKey(id: string): Promise<JoinKeyInfo> {
    const row = await this.store.joinKeys.get(id);
    if (!row) throw new ControlPlaneError(ErrorCode.NotFound, `no join key ${id}`, 404);
    await this.store.joinKeys.revoke(id, Date.now());
    const info = keyInfo((await this.store.joinKeys.get(id))!);
    this.publishFeed({ kind: 'key', action: 'revoked', key: info });
    return info;
  }

  // ---- join ----

  async join(req: JoinRequest, remoteAddress: string | null): Promise<JoinResponse> {
    try {
      const res = await this.joinUnchecked(req);
      this.deps.metrics.joins.inc({ result: 'ok' });
      return res;
    } catch (err) {
      if (err instanceof ControlPlaneError) {
        this.deps.metrics.joins.inc({ result: err.code });
        const parsed = parseJoinKey(req.key);
        const networkId = parsed ? ((await this.store.joinKeys.get(parsed.id))?.networkId ?? null) : null;
        this.publishFeed({
          kind: 'join-rejected',
          networkId,
          code: err.code,
          reason: err.message,
          name: req.name,
          remoteAddress,
        });
        this.deps.log.warn(
          { code: err.code, name: req.name, remoteAddress },
          `join rejected: ${err.message}`,
        );
      }
      throw err;
    }
  }

  private async joinUnchecked(req: JoinRequest): Promise<JoinResponse> {
    const parsed = parseJoinKey(req.key);
    const row = parsed && (await this.store.joinKeys.get(parsed.id));
    if (!parsed || !row || !secretMatches(parsed.secret, row.secretHash)) {
      throw new ControlPlaneError(ErrorCode.InvalidKey, 'join key is not valid', 401);
    }
    const now = Date.now();
    if (row.revokedAt !== null)
      throw new ControlPlaneError(ErrorCode.KeyRevoked, 'join key was revoked', 403);
    if (row.expiresAt !== null && row.expiresAt <= now)
      throw new ControlPlaneError(ErrorCode.KeyExpired, 'join key has expired', 403);
    const keyProblem = rawPublicKeyProblem(req.publicKey);
    if (keyProblem) throw new ControlPlaneError(ErrorCode.InvalidMessage, `publicKey: ${keyProblem}`);
    // Everything below answers about this public key (removed? in another network?): only to its holder.
    if (!verifyJoinProof(req)) {
      throw new ControlPlaneError(
        ErrorCode.InvalidMessage,
        req.proof === undefined
          ? 'proof: a join must be signed by the node key (an agent older than protocol 2? update it)'
          : 'proof: not a signature of this request by the node key',
      );
    }
    if (await this.store.nodes.isKeyRevoked(req.publicKey)) {
      throw new ControlPlaneError(
        ErrorCode.PublicKeyRejected,
        'this node key belongs to a removed node; generate a new key',
        403,
      );
    }
    const network = (await this.store.networks.get(row.networkId))!;
    const existing = await this.store.nodes.findByPublicKey(req.publicKey);
    if (existing) {
      // A retried join (the agent lost the answer) gets the same node back without using the key again.
      if (existing.networkId !== network.id) {
        throw new ControlPlaneError(
          ErrorCode.PublicKeyRejected,
          'this node key is registered in another network',
          409,
        );
      }
      return this.joinResponse(existing, network);
    }
    const node = await allocateNode(this.store, req, row, network, now);
    this.deps.log.info(
      { node: node.id, name: node.name, network: network.id, addresses: node.addresses },
      'node joined',
    );
    this.publishFeed({
      kind: 'node',
      action: 'joined',
      networkId: network.id,
      nodeId: node.id,
      node: this.summaryIn(node, network),
    });
    // Peers learn about the (still offline) new node at once; `peer-joined` follows when it connects.
    this.deps.cluster.broadcast(
      network.id,
      { type: 'peer-updated', peer: this.peerInfo(node, network) },
      node.id,
    );
    return this.joinResponse(node, network);
  }

  private joinResponse(node: NodeRow, network: NetworkRow): JoinResponse {
    return {
      nodeId: node.id,
      name: node.name,
      network: networkInfo(network),
      addresses: addressesOf(node, network),
      mac: node.mac,
    };
  }

  // ---- nodes ----

  /**
   * A node by id, or by name within `network` (id or name). A name without a network must be unique
   * across networks: acting on another network's node of the same name is what an admin must never do
   * by accident, so an ambiguous name is refused with the networks it is in.
   */
  async requireNode(idOrName: string, network?: string): Promise<NodeRow> {
    let matches = await this.store.nodes.findAll(idOrName);
    const where = network === undefined ? undefined : await this.requireNetwork(network);
    if (where) matches = matches.filter((n) => n.networkId === where.id);
    if (matches.length === 0)
      throw new ControlPlaneError(
        ErrorCode.NotFound,
        `no node ${idOrName}${where ? ` in network ${where.name}` : ''}`,
        404,
      );
    if (matches.length > 1) {
      const names = await Promise.all(
        matches.map(async (n) => (await this.store.networks.get(n.networkId))?.name ?? n.networkId),
      );
      throw new ControlPlaneError(
        ErrorCode.Conflict,
        `node name ${idOrName} is in networks ${names.join(', ')}: give the network (--network, ?network=) or the node id`,
        409,
      );
    }
    return matches[0]!;
  }

  async listNodes(network?: string): Promise<NodeSummary[]> {
    const networkId = network === undefined ? undefined : (await this.requireNetwork(network)).id;
    const networks = new Map((await this.store.networks.list()).map((n) => [n.id, n]));
    return (await this.store.nodes.list(networkId)).map((n) => this.summaryIn(n, networks.get(n.networkId)!));
  }

  /** Deletes the node, frees its addresses, bans its key, tells its peers and closes its session. */
  /**
   * `rtcmesh-signal network delete`: the network, its join keys, policy and addresses. One that still
   * has nodes is refused unless `force`: then every node is removed as by `node remove` (its key
   * revoked for good, its agent told and stopped), in the same transaction.
   */
  async deleteNetwork(idOrName: string, force: boolean): Promise<NetworkSummary> {
    const network = await this.requireNetwork(idOrName);
    const summary = await this.networkSummary(network);
    const nodes = await this.store.nodes.list(network.id);
    if (nodes.length > 0 && !force)
      throw new ControlPlaneError(
        ErrorCode.Conflict,
        `network ${network.name} has ${nodes.length} node${nodes.length === 1 ? '' : 's'} (${nodes
          .slice(0, 5)
          .map((n) => n.name)
          .join(
            ', ',
          )}${nodes.length > 5 ? ', …' : ''}): remove them, or delete with --force (their keys are revoked)`,
        409,
      );
    const at = Date.now();
    await this.store.transaction(async (tx) => {
      for (const n of nodes) await tx.nodes.remove(n.id, at);
      await tx.networks.remove(network.id);
    });
    for (const n of nodes) {
      this.deps.telemetry.forgetNode(n.id);
      this.deps.cluster.kick(n.id, `network ${network.name} deleted by an admin`);
    }
    this.publishFeed({ kind: 'network', action: 'deleted', network: summary });
    this.deps.log.info({ network: network.id, name: network.name, nodes: nodes.length }, 'network deleted');
    return summary;
  }

  async removeNode(idOrName: string, network?: string): Promise<NodeSummary> {
    const node = await this.requireNode(idOrName, network);
    const summary = await this.nodeSummary(node);
    await this.store.transaction((tx) => tx.nodes.remove(node.id, Date.now()));
    this.deps.telemetry.forgetNode(node.id);
    this.deps.cluster.kick(node.id, 'removed by an admin');
    this.deps.cluster.broadcast(node.networkId, { type: 'peer-removed', nodeId: node.id }, node.id);
    this.publishFeed({
      kind: 'node',
      action: 'removed',
      networkId: node.networkId,
      nodeId: node.id,
      node: null,
    });
    this.deps.log.info({ node: node.id, name: node.name }, 'node removed');
    return summary;
  }

  async nodeSummary(n: NodeRow): Promise<NodeSummary> {
    return this.summaryIn(n, (await this.store.networks.get(n.networkId))!);
  }

  private summaryIn(n: NodeRow, network: NetworkRow): NodeSummary {
    return {
      ...this.peerInfo(n, network),
      // Admins see every advertised route, pending ones too (their states: GET …/routes).
      routes: n.routes,
      networkId: n.networkId,
      hostname: n.hostname,
      os: n.os,
      createdAt: n.createdAt,
      netcheck: n.netcheck,
      ...(network.lockKeys?.length
        ? {
            keySigned: verifyNodeKeySignature(
              network.lockKeys,
              network.id,
              n.id,
              n.publicKey,
              n.keySignature ?? undefined,
            ),
          }
        : {}),
    };
  }

  peerInfo(n: NodeRow, network: NetworkRow): PeerInfo {
    const session = this.deps.cluster.entry(n.id);
    const p: PeerInfo = {
      nodeId: n.id,
      name: n.name,
      publicKey: n.publicKey,
      addresses: addressesOf(n, network),
      mac: n.mac,
      online: session !== undefined,
      lastSeen: session ? Date.now() : n.lastSeen,
      bindings: n.bindings,
      // Only approved routes reach the other members (routes/route-approval.ts).
      routes: approvedRoutes(n, network),
    };
    if (session?.endpoint) p.endpoint = session.endpoint;
    if (n.agentVersion) p.agentVersion = n.agentVersion;
    if (n.keySignature) p.keySignature = n.keySignature;
    if (n.tags.length > 0) p.tags = n.tags;
    return p;
  }

  selfInfo(n: NodeRow, network: NetworkRow): SelfInfo {
    return {
      nodeId: n.id,
      name: n.name,
      addresses: addressesOf(n, network),
      mac: n.mac,
      ...(n.tags.length > 0 ? { tags: n.tags } : {}),
    };
  }

  async peersOf(n: NodeRow, network: NetworkRow): Promise<PeerInfo[]> {
    return (await this.store.nodes.list(network.id))
      .filter((p) => p.id !== n.id)
      .map((p) => this.peerInfo(p, network));
  }

  iceServersFor(nodeId: string): MintedIceServers {
    return iceServersFor(this.deps.ice, nodeId);
  }

  // ---- session lifecycle (called by ws/session.ts) ----

  /**
   * A session of `node` authenticated at `since` (it is in the local hub already): announced at once
   * to the presence directory of every instance (peers everywhere get `peer-joined`); last-seen is
   * written in the next batch.
   */
  sessionOnline(
    session: { nodeId: string; networkId: string; endpoint: string | null },
    node: NodeRow,
    network: NetworkRow,
    agentVersion: string | undefined,
    since: number,
  ): void {
    if (this.stopped) return; // shutting down: the session is about to be told to go
    const { nodeId, networkId, endpoint } = session;
    const peer = this.peerInfo(node, network);
    peer.online = true;
    peer.lastSeen = since;
    if (endpoint) peer.endpoint = endpoint;
    if (agentVersion) peer.agentVersion = agentVersion;
    this.deps.cluster.sessionOnline(
      { nodeId, networkId, endpoint, since },
      JSON.stringify({ type: 'peer-joined', peer } satisfies ServerMessage),
    );
    this.publishFeed({ kind: 'presence', networkId, nodeId, online: true });
    this.seen.record(nodeId, since, endpoint, agentVersion);
  }

  /** A session authenticated at `since` ended; peers learn it unless the node is online elsewhere. */
  sessionOffline(nodeId: string, networkId: string, since: number): void {
    if (this.stopped) return;
    const now = Date.now();
    // Not the node's current session (replaced here or on another instance, or the node was removed).
    if (!this.deps.cluster.sessionOffline(nodeId, networkId, since, now)) return;
    this.seen.record(nodeId, now, null);
    this.publishFeed({ kind: 'presence', networkId, nodeId, online: false });
  }

  /** The `peer-joined` for a node that is online on another instance (after a bus outage). */
  async peerJoinedRaw(nodeId: string): Promise<string | null> {
    const node = await this.store.nodes.get(nodeId);
    const network = node && (await this.store.networks.get(node.networkId));
    if (!node || !network) return null;
    return JSON.stringify({
      type: 'peer-joined',
      peer: this.peerInfo(node, network),
    } satisfies ServerMessage);
  }

  /** Console feed events reach the consoles of every instance. */
  publishFeed(input: FeedEventInput): void {
    this.deps.cluster.publishFeed(input);
  }

  async advertise(nodeId: string, msg: Advertise): Promise<void> {
    const node = await this.requireNode(nodeId);
    const network = (await this.store.networks.get(node.networkId))!;
    let bindings: Binding[] | undefined;
    let routes: Route[] | undefined;
    try {
      bindings = msg.bindings && normalizeBindings(msg.bindings);
      routes =
        msg.routes &&
        normalizeRoutes(msg.routes, network, nodeIps(node.addresses, network), this.deps.protectedAddresses);
    } catch (err) {
      if (!(err instanceof ControlPlaneError)) throw err;
      // A refused advertisement is what a hostile or misconfigured member looks like: the admin sees it
      // in the log, in /metrics and in the console's events; nothing of it is stored or sent on.
      this.deps.metrics.rejected.inc({ reason: err.code });
      this.deps.log.warn(
        { node: node.id, name: node.name, network: network.name, err: err.message },
        'advertisement refused',
      );
      this.recordAgentEvent(node.id, network.id, {
        kind: 'route-refused',
        message: `advertisement refused: ${err.message}`.slice(0, LIMITS.maxTextBytes),
      });
      throw err;
    }
    await this.store.nodes.setAdvertisements(nodeId, bindings, routes);
    if (routes) await autoApprove(this.ctx, node, network, routes);
    await this.announceUpdate(nodeId);
  }

  async setNetcheck(nodeId: string, netcheck: ScalarRecord): Promise<void> {
    await this.store.nodes.setNetcheck(nodeId, netcheck);
    await this.announceUpdate(nodeId);
  }

  /**
   * Tells the node's peers (peer-updated) and the consoles what the node looks like now; with
   * `toSelf`, the node itself too (a `config` with its new name or tags). Returns what the consoles got.
   */
  async announceUpdate(nodeId: string, o: { toSelf?: boolean } = {}): Promise<NodeSummary | undefined> {
    const node = await this.store.nodes.get(nodeId);
    if (!node) return undefined;
    const network = (await this.store.networks.get(node.networkId))!;
    this.deps.cluster.broadcast(
      network.id,
      { type: 'peer-updated', peer: this.peerInfo(node, network) },
      nodeId,
    );
    if (o.toSelf)
      this.deps.cluster.sendTo(network.id, nodeId, { type: 'config', self: this.selfInfo(node, network) });
    const summary = this.summaryIn(node, network);
    this.publishFeed({ kind: 'node', action: 'updated', networkId: network.id, nodeId, node: summary });
    return summary;
  }

  // ---- node keys: rotation and locked networks ----

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

  /**
   * Changes an L2 network's storm control and DHCP filtering; members apply it live (a `config`).
   * Settings not named keep their value.
   */
  async setL2Settings(networkIdOrName: string, patch: SetL2SettingsRequest): Promise<NetworkSummary> {
    const network = await this.requireNetwork(networkIdOrName);
    if (network.mode !== 'l2')
      throw new ControlPlaneError(
        ErrorCode.InvalidMessage,
        `network ${network.name} is L3: storm control and DHCP filtering are L2 settings`,
        409,
      );
    const merged = L2SettingsSchema.parse({ ...DEFAULT_L2_SETTINGS, ...network.l2, ...patch });
    await this.store.networks.setL2Settings(network.id, merged);
    const updated = await this.requireNetwork(network.id);
    this.deps.cluster.broadcast(network.id, { type: 'config', network: networkInfo(updated) });
    this.deps.log.info({ network: network.id, ...merged }, 'network L2 settings changed');
    const summary = await this.networkSummary(updated);
    this.publishFeed({ kind: 'network', action: 'updated', network: summary });
    return summary;
  }

  /** Stores an operator's signature over a node's current key (node-keys.ts). */
  signNodeKey(idOrName: string, signature: string, inNetwork?: string): Promise<NodeSummary> {
    return signNodeKey(this.ctx, idOrName, signature, inNetwork);
  }

  recordTelemetry(
    nodeId: string,
    networkId: string,
    links: LinkReport[],
    change: TelemetryChange = {},
  ): void {
    this.deps.telemetry.record(networkId, nodeId, links, Date.now(), change);
    // An idle node's partial report is empty: nothing for the bus or the consoles.
    if (change.partial && links.length === 0 && !change.gone?.length) return;
    this.publishFeed({
      kind: 'telemetry',
      networkId,
      nodeId,
      links,
      ...(change.partial ? { partial: true } : {}),
      ...(change.gone?.length ? { gone: [...change.gone] } : {}),
    });
  }

  recordAgentEvent(nodeId: string, networkId: string, event: AgentEvent): void {
    this.deps.metrics.agentEvents.inc({ kind: event.kind });
    this.publishFeed({ kind: 'agent-event', networkId, nodeId, event });
    // A browser proxy session's end goes to the audit log beside its opening: bytes and duration, as the node reports them.
    const d = event.details;
    if (event.kind === 'browser-session' && d?.state === 'closed')
      void recordAudit(this.deps, {
        actor: String(d.principal ?? 'browser'),
        action: 'browser-session.close',
        target: `${nodeId} ${String(d.target)} ${String(d.bytesToBrowser)}B/${String(d.bytesFromBrowser)}B ${String(d.durationS)}s`,
        source: null,
      });
  }
}

/**
 * The IPv6 prefix of a new network: L3 networks are dual-stack unless asked otherwise ("auto": a fresh
 * unique local /64); an L2 segment carries whatever IPv6 its hosts use, so it has none of its own.
 */
function ipv6Of(req: CreateNetworkRequest, cidr: Ipv4Cidr): string | undefined {
  const asked = req.ipv6 ?? (req.mode === 'l3' ? 'auto' : 'off');
  if (asked === 'off') return undefined;
  if (req.mode !== 'l3')
    throw new ControlPlaneError(
      ErrorCode.InvalidMessage,
      'an IPv6 prefix is for L3 networks (an L2 segment carries the IPv6 its hosts use)',
    );
  if (asked === 'auto') return canonicalIpv6Prefix(newUlaPrefix());
  const problem = ipv6PrefixProblem(asked, cidr);
  if (problem) throw new ControlPlaneError(ErrorCode.InvalidMessage, problem);
  return canonicalIpv6Prefix(asked);
}
