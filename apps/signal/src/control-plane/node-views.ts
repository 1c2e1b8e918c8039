import { type NodeSummary, type PeerInfo, type SelfInfo, verifyNodeKeySignature } from '@rtcmesh/protocol';
import type { Cluster } from '../cluster/cluster.js';
import { approvedRoutes } from '../routes/route-approval.js';
import type { NetworkRow } from '../store/networks.js';
import type { NodeRow } from '../store/nodes.js';
import { addressesOf } from './views.js';

// How a node is shown with its presence (the cluster's directory): to its peers, to itself and to admins.

/** A node as its peers see it: online and its endpoint from the presence directory of every instance. */
export function peerInfo(cluster: Pick<Cluster, 'entry'>, n: NodeRow, network: NetworkRow): PeerInfo {
  const session = cluster.entry(n.id);
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

/** A node as it sees itself (welcome, config). */
export function selfInfo(n: NodeRow, network: NetworkRow): SelfInfo {
  return {
    nodeId: n.id,
    name: n.name,
    addresses: addressesOf(n, network),
    mac: n.mac,
    ...(n.tags.length > 0 ? { tags: n.tags } : {}),
  };
}

/** A node of `network` as admins see it. */
export function nodeSummaryIn(cluster: Pick<Cluster, 'entry'>, n: NodeRow, network: NetworkRow): NodeSummary {
  return {
    ...peerInfo(cluster, n, network),
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
