import {
  type Advertise,
  type AgentEvent,
  CloseCode,
  type CreateKeyRequest,
  type CreateKeyResponse,
  type CreateNetworkRequest,
  ErrorCode,
  isValidPublicKey,
  type JoinKeyInfo,
  type JoinRequest,
  type JoinResponse,
  type LinkReport,
  type NetworkInfo,
  type NetworkSummary,
  type NodeSummary,
  type PeerInfo,
  REKEY_DOMAIN,
  rekeyPayload,
  type ScalarRecord,
  type SelfInfo,
  verifyDomain,
  verifyNodeKeySignature,
} from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { formatJoinKey, newJoinKeyId, newJoinKeySecret, parseJoinKey } from '../auth/join-key.js';
import { hashSecret, randomToken, secretMatches } from '../auth/secrets.js';
import type { BrowserLinkRelay } from '../browser-peer/relay.js';
import type { Feed } from '../feed/feed.js';
import { formatCidr, parseIpv4Cidr } from '../ipam/ipv4.js';
import { deriveMac } from '../ipam/mac.js';
import { pickFreeAddress } from '../ipam/pool.js';
import type { Metrics } from '../metrics/metrics.js';
import { tagsField } from '../policy/network-policy.js';
import type { Store } from '../store/index.js';
import type { JoinKeyRow } from '../store/join-keys.js';
import type { NetworkRow } from '../store/networks.js';
import type { NodeRow } from '../store/nodes.js';
import type { LatestTelemetry } from '../telemetry/latest.js';
import { type IceConfig, iceServersFor, type MintedIceServers } from '../turn/ice-servers.js';
import type { Hub } from '../ws/hub.js';
import { normalizeBindings, normalizeRoutes } from './advertisements.js';
import { MeshError } from './errors.js';

export type MeshDeps = {
  store: Store;
  hub: Hub;
  feed: Feed;
  telemetry: LatestTelemetry;
  metrics: Metrics;
  log: Logger;
  ice: IceConfig;
  /** Console browser links (browser-peer/relay.ts); absent in tests that do not need them. */
  browserLinks?: BrowserLinkRelay;
};

const DEFAULT_CIDR = '10.99.0.0/24';
const DEFAULT_MTU = 1280;

function newId(prefix: string): string {
  return `${prefix}-${randomToken(9)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')}`;
}

/**
 * The control plane's operations, shared by the REST API, the admin socket and the WebSocket sessions.
 * Every state change is persisted first, then announced (peers over the hub, console over the feed).
 */
export class Mesh {
  /** Set by shutdown: session ends no longer touch the (closing) database. */
  private stopped = false;

  constructor(readonly deps: MeshDeps) {}

  /** Records every online node as last seen now, then ignores session ends. Called before the store closes. */
  stop(): void {
    const now = Date.now();
    for (const s of this.deps.hub.all()) this.store.nodes.setSeen(s.nodeId, now, null);
    this.stopped = true;
  }

  private get store(): Store {
    return this.deps.store;
  }

  // ---- networks ----

  createNetwork(req: CreateNetworkRequest): NetworkSummary {
    const cidr = parseIpv4Cidr(req.cidr ?? DEFAULT_CIDR);
    if (!cidr || cidr.prefix < 8 || cidr.prefix > 30) {
      throw new MeshError(ErrorCode.InvalidMessage, 'cidr must be an IPv4 CIDR between /8 and /30');
    }
    if (this.store.networks.find(req.name))
      throw new MeshError(ErrorCode.Conflict, `network ${req.name} exists`, 409);
    const row: NetworkRow = {
      id: newId('net'),
      name: req.name,
      mode: req.mode,
      cidr: formatCidr(cidr),
      mtu: req.mtu ?? DEFAULT_MTU,
      createdAt: Date.now(),
    };
    this.store.networks.insert(row);
    const summary = this.networkSummary(row);
    this.deps.feed.publish({ kind: 'network', action: 'created', network: summary });
    this.deps.log.info(
      { network: row.id, name: row.name, mode: row.mode, cidr: row.cidr },
      'network created',
    );
    return summary;
  }

  requireNetwork(idOrName: string): NetworkRow {
    const n = this.store.networks.find(idOrName);
    if (!n) throw new MeshError(ErrorCode.NotFound, `no network ${idOrName}`, 404);
    return n;
  }

  networkSummary(n: NetworkRow): NetworkSummary {
    return {
      ...networkInfo(n),
      createdAt: n.createdAt,
      nodeCount: this.store.nodes.countInNetwork(n.id),
      onlineCount: this.deps.hub.onlineCount(n.id),
    };
  }

  listNetworks(): NetworkSummary[] {
    return this.store.networks.list().map((n) => this.networkSummary(n));
  }

  // ---- join keys ----

  createKey(req: CreateKeyRequest): CreateKeyResponse {
    const network = this.requireNetwork(req.network);
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
    this.store.joinKeys.insert(row);
    const info = keyInfo(row);
    this.deps.feed.publish({ kind: 'key', action: 'created', key: info });
    this.deps.log.info(
      { key: id, network: network.id, reusable: row.reusable, expiresAt: row.expiresAt },
      'join key created',
    );
    return { key: formatJoinKey(id, secret), info };
  }

  listKeys(network?: string): JoinKeyInfo[] {
    const networkId = network === undefined ? undefined : this.requireNetwork(network).id;
    return this.store.joinKeys.list(networkId).map(keyInfo);
  }

  revokeKey(id: string): JoinKeyInfo {
    const row = this.store.joinKeys.get(id);
    if (!row) throw new MeshError(ErrorCode.NotFound, `no join key ${id}`, 404);
    this.store.joinKeys.revoke(id, Date.now());
    const info = keyInfo(this.store.joinKeys.get(id)!);
    this.deps.feed.publish({ kind: 'key', action: 'revoked', key: info });
    return info;
  }

  // ---- join ----

  join(req: JoinRequest, remoteAddress: string | null): JoinResponse {
    try {
      const res = this.joinUnchecked(req);
      this.deps.metrics.joins.inc({ result: 'ok' });
      return res;
    } catch (err) {
      if (err instanceof MeshError) {
        this.deps.metrics.joins.inc({ result: err.code });
        const parsed = parseJoinKey(req.key);
        const networkId = parsed ? (this.store.joinKeys.get(parsed.id)?.networkId ?? null) : null;
        this.deps.feed.publish({
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

  private joinUnchecked(req: JoinRequest): JoinResponse {
    const parsed = parseJoinKey(req.key);
    const row = parsed && this.store.joinKeys.get(parsed.id);
    if (!parsed || !row || !secretMatches(parsed.secret, row.secretHash)) {
      throw new MeshError(ErrorCode.InvalidKey, 'join key is not valid', 401);
    }
    const now = Date.now();
    if (row.revokedAt !== null) throw new MeshError(ErrorCode.KeyRevoked, 'join key was revoked', 403);
    if (row.expiresAt !== null && row.expiresAt <= now)
      throw new MeshError(ErrorCode.KeyExpired, 'join key has expired', 403);
    if (!isValidPublicKey(req.publicKey) || Buffer.from(req.publicKey, 'base64').length !== 32) {
      throw new MeshError(ErrorCode.InvalidMessage, 'publicKey must be base64 of a 32-byte Ed25519 key');
    }
    if (this.store.nodes.isKeyRevoked(req.publicKey)) {
      throw new MeshError(
        ErrorCode.PublicKeyRejected,
        'this node key belongs to a removed node; generate a new key',
        403,
      );
    }
    const network = this.store.networks.get(row.networkId)!;
    const existing = this.store.nodes.findByPublicKey(req.publicKey);
    if (existing) {
      // A retried join (the agent lost the answer) gets the same node back without using the key again.
      if (existing.networkId !== network.id) {
        throw new MeshError(
          ErrorCode.PublicKeyRejected,
          'this node key is registered in another network',
          409,
        );
      }
      return this.joinResponse(existing, network);
    }
    const node = this.store.transaction(() => {
      if (!row.reusable && !this.store.joinKeys.consume(row.id)) {
        throw new MeshError(ErrorCode.KeyUsed, 'single-use join key was already used', 403);
      }
      if (row.reusable) this.store.joinKeys.consume(row.id);
      const id = newId('n');
      const address = pickFreeAddress(network.cidr, this.store.leases.leased(network.id));
      if (address === null) {
        throw new MeshError(
          ErrorCode.AddressPoolExhausted,
          `network ${network.name} has no free address`,
          409,
        );
      }
      this.store.nodes.insert({
        id,
        networkId: network.id,
        name: this.uniqueName(network.id, req.name),
        publicKey: req.publicKey,
        mac: deriveMac(network.id, id, this.store.nodes.macsOf(network.id)),
        hostname: req.hostname ?? null,
        os: req.os ?? null,
        agentVersion: req.agentVersion,
        joinKeyId: row.id,
        createdAt: now,
      });
      this.store.leases.insert(network.id, address, id);
      return this.store.nodes.get(id)!;
    });
    this.deps.log.info(
      { node: node.id, name: node.name, network: network.id, addresses: node.addresses },
      'node joined',
    );
    this.deps.feed.publish({
      kind: 'node',
      action: 'joined',
      networkId: network.id,
      nodeId: node.id,
      node: this.nodeSummary(node),
    });
    // Peers learn about the (still offline) new node at once; `peer-joined` follows when it connects.
    this.deps.hub.broadcast(
      network.id,
      { type: 'peer-updated', peer: this.peerInfo(node, network) },
      node.id,
    );
    return this.joinResponse(node, network);
  }

  /** Names are unique per network: a second "web" becomes "web-2" (as a re-installed host would). */
  private uniqueName(networkId: string, wanted: string): string {
    const taken = new Set(this.store.nodes.list(networkId).map((n) => n.name));
    if (!taken.has(wanted)) return wanted;
    for (let i = 2; ; i++) {
      const candidate = `${wanted.slice(0, 58)}-${i}`;
      if (!taken.has(candidate)) return candidate;
    }
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

  requireNode(idOrName: string): NodeRow {
    const n = this.store.nodes.find(idOrName);
    if (!n) throw new MeshError(ErrorCode.NotFound, `no node ${idOrName}`, 404);
    return n;
  }

  listNodes(network?: string): NodeSummary[] {
    const networkId = network === undefined ? undefined : this.requireNetwork(network).id;
    return this.store.nodes.list(networkId).map((n) => this.nodeSummary(n));
  }

  /** Deletes the node, frees its addresses, bans its key, tells its peers and closes its session. */
  removeNode(idOrName: string): NodeSummary {
    const node = this.requireNode(idOrName);
    const summary = this.nodeSummary(node);
    this.store.nodes.remove(node.id, Date.now());
    this.deps.telemetry.forgetNode(node.id);
    this.deps.hub
      .get(node.id)
      ?.end(CloseCode.NodeRemoved, { type: 'bye', reason: 'node-removed', message: 'removed by an admin' });
    this.deps.hub.broadcast(node.networkId, { type: 'peer-removed', nodeId: node.id }, node.id);
    this.deps.feed.publish({
      kind: 'node',
      action: 'removed',
      networkId: node.networkId,
      nodeId: node.id,
      node: null,
    });
    this.deps.log.info({ node: node.id, name: node.name }, 'node removed');
    return summary;
  }

  nodeSummary(n: NodeRow): NodeSummary {
    const network = this.store.networks.get(n.networkId)!;
    return {
      ...this.peerInfo(n, network),
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
    const session = this.deps.hub.get(n.id);
    const p: PeerInfo = {
      nodeId: n.id,
      name: n.name,
      publicKey: n.publicKey,
      addresses: addressesOf(n, network),
      mac: n.mac,
      online: session !== undefined,
      lastSeen: session ? Date.now() : n.lastSeen,
      bindings: n.bindings,
      routes: n.routes,
    };
    if (session?.endpoint) p.endpoint = session.endpoint;
    if (n.agentVersion) p.agentVersion = n.agentVersion;
    if (n.keySignature) p.keySignature = n.keySignature;
    Object.assign(p, tagsField(this, n.id));
    return p;
  }

  selfInfo(n: NodeRow, network: NetworkRow): SelfInfo {
    return {
      nodeId: n.id,
      name: n.name,
      addresses: addressesOf(n, network),
      mac: n.mac,
      ...tagsField(this, n.id),
    };
  }

  peersOf(n: NodeRow, network: NetworkRow): PeerInfo[] {
    return this.store.nodes
      .list(network.id)
      .filter((p) => p.id !== n.id)
      .map((p) => this.peerInfo(p, network));
  }

  iceServersFor(nodeId: string): MintedIceServers {
    return iceServersFor(this.deps.ice, nodeId);
  }

  // ---- session lifecycle (called by ws/session.ts) ----

  sessionOnline(nodeId: string, endpoint: string | null, agentVersion: string | undefined): void {
    this.store.nodes.setSeen(nodeId, Date.now(), endpoint, agentVersion);
    const node = this.store.nodes.get(nodeId);
    if (!node) return;
    const network = this.store.networks.get(node.networkId)!;
    this.deps.hub.broadcast(network.id, { type: 'peer-joined', peer: this.peerInfo(node, network) }, nodeId);
    this.deps.feed.publish({ kind: 'presence', networkId: network.id, nodeId, online: true });
  }

  sessionOffline(nodeId: string, networkId: string): void {
    if (this.stopped) return;
    const now = Date.now();
    if (!this.store.nodes.get(nodeId)) return; // removed: peers already got peer-removed
    this.store.nodes.setSeen(nodeId, now, null);
    this.deps.hub.broadcast(networkId, { type: 'peer-left', nodeId, lastSeen: now }, nodeId);
    this.deps.feed.publish({ kind: 'presence', networkId, nodeId, online: false });
  }

  advertise(nodeId: string, msg: Advertise): void {
    const node = this.requireNode(nodeId);
    const network = this.store.networks.get(node.networkId)!;
    const bindings = msg.bindings && normalizeBindings(msg.bindings);
    const routes = msg.routes && normalizeRoutes(msg.routes, network.cidr, node.addresses);
    this.store.nodes.setAdvertisements(nodeId, bindings, routes);
    this.announceUpdate(nodeId);
  }

  setNetcheck(nodeId: string, netcheck: ScalarRecord): void {
    this.store.nodes.setNetcheck(nodeId, netcheck);
    this.announceUpdate(nodeId);
  }

  private announceUpdate(nodeId: string): void {
    const node = this.store.nodes.get(nodeId);
    if (!node) return;
    const network = this.store.networks.get(node.networkId)!;
    this.deps.hub.broadcast(network.id, { type: 'peer-updated', peer: this.peerInfo(node, network) }, nodeId);
    this.deps.feed.publish({
      kind: 'node',
      action: 'updated',
      networkId: network.id,
      nodeId,
      node: this.nodeSummary(node),
    });
  }

  // ---- node keys: rotation and locked networks ----

  /**
   * Rotates a node's key (`rekey` on its authenticated session, which proved the old key; `signature`
   * proves the new one). The old key is banned for good; peers get the new key in `peer-updated` and
   * verify the node's next DTLS fingerprints with it. Links already up stay up.
   */
  rekey(nodeId: string, publicKey: string, signature: string): NodeRow {
    const node = this.requireNode(nodeId);
    if (!isEd25519PublicKey(publicKey)) {
      throw new MeshError(ErrorCode.InvalidMessage, 'publicKey must be base64 of a 32-byte Ed25519 key');
    }
    if (!verifyDomain(publicKey, REKEY_DOMAIN, rekeyPayload(node.id, node.publicKey, publicKey), signature)) {
      throw new MeshError(ErrorCode.AuthFailed, 'the new key did not sign the rotation', 403);
    }
    if (this.store.nodes.isKeyRevoked(publicKey) || this.store.nodes.findByPublicKey(publicKey)) {
      throw new MeshError(ErrorCode.PublicKeyRejected, 'this key was used before; generate a new one', 409);
    }
    this.store.nodes.rotateKey(node.id, node.publicKey, publicKey, Date.now());
    this.deps.log.info({ node: node.id, name: node.name }, 'node key rotated');
    this.announceUpdate(node.id);
    return this.requireNode(node.id);
  }

  /**
   * Locks a network to operator keys (or unlocks it with an empty list). Agents pin the keys the first
   * time they see them and keep enforcing them whatever this server says later (SECURITY.md).
   */
  setLock(networkIdOrName: string, keys: readonly string[]): NetworkSummary {
    const network = this.requireNetwork(networkIdOrName);
    for (const k of keys) {
      if (!isEd25519PublicKey(k))
        throw new MeshError(ErrorCode.InvalidMessage, `lock key ${k.slice(0, 16)}… is not an Ed25519 key`);
    }
    const unique = [...new Set(keys)];
    if (unique.length > 8) throw new MeshError(ErrorCode.InvalidMessage, 'at most 8 lock keys');
    this.store.networks.setLockKeys(network.id, unique);
    const updated = this.requireNetwork(network.id);
    this.deps.hub.broadcast(network.id, { type: 'config', network: networkInfo(updated) });
    this.deps.log.info(
      { network: network.id, keys: unique.length },
      unique.length ? 'network locked' : 'network unlocked',
    );
    return this.networkSummary(updated);
  }

  /** Stores an operator's signature over a node's current key (checked against the network's lock keys). */
  signNodeKey(idOrName: string, signature: string): NodeSummary {
    const node = this.requireNode(idOrName);
    const network = this.store.networks.get(node.networkId)!;
    if (!network.lockKeys?.length) {
      throw new MeshError(ErrorCode.InvalidMessage, `network ${network.name} is not locked`, 409);
    }
    if (!verifyNodeKeySignature(network.lockKeys, network.id, node.id, node.publicKey, signature)) {
      throw new MeshError(
        ErrorCode.AuthFailed,
        `the signature does not cover ${node.name}'s current key with a lock key of ${network.name}`,
        400,
      );
    }
    this.store.nodes.setKeySignature(node.id, signature);
    this.announceUpdate(node.id);
    return this.nodeSummary(this.requireNode(node.id));
  }

  recordTelemetry(nodeId: string, networkId: string, links: LinkReport[]): void {
    this.deps.telemetry.record(networkId, nodeId, links);
    this.deps.feed.publish({ kind: 'telemetry', networkId, nodeId, links });
  }

  recordAgentEvent(nodeId: string, networkId: string, event: AgentEvent): void {
    this.deps.feed.publish({ kind: 'agent-event', networkId, nodeId, event });
  }
}

export function networkInfo(n: NetworkRow): NetworkInfo {
  return {
    id: n.id,
    name: n.name,
    mode: n.mode,
    cidr: n.cidr,
    mtu: n.mtu,
    ...(n.lockKeys ? { lockKeys: n.lockKeys } : {}),
  };
}

function isEd25519PublicKey(key: string): boolean {
  return isValidPublicKey(key) && Buffer.from(key, 'base64').length === 32;
}

/** Overlay addresses with the network's prefix length ("10.99.0.5/24"); in L3 the host route is ip/32. */
function addressesOf(n: NodeRow, network: NetworkRow): string[] {
  const len = network.cidr.split('/')[1];
  return n.addresses.map((a) => `${a}/${len}`);
}

function keyInfo(k: JoinKeyRow): JoinKeyInfo {
  const now = Date.now();
  const valid =
    k.revokedAt === null && (k.expiresAt === null || k.expiresAt > now) && (k.reusable || k.uses === 0);
  return {
    id: k.id,
    networkId: k.networkId,
    reusable: k.reusable,
    description: k.description,
    createdAt: k.createdAt,
    expiresAt: k.expiresAt,
    revokedAt: k.revokedAt,
    uses: k.uses,
    valid,
  };
}
