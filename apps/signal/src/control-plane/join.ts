import {
  ErrorCode,
  type JoinRequest,
  type JoinResponse,
  rawPublicKeyProblem,
  verifyJoinProof,
} from '@rtcmesh/protocol';
import { parseJoinKey } from '../auth/join-key.js';
import { secretMatches } from '../auth/secrets.js';
import type { NetworkRow } from '../store/networks.js';
import type { NodeRow } from '../store/nodes.js';
import type { ControlPlaneDeps } from './control-plane.js';
import { ControlPlaneError } from './errors.js';
import { allocateNode } from './node-allocation.js';
import { nodeSummaryIn, peerInfo } from './node-views.js';
import { addressesOf, networkInfo } from './views.js';

// The join: a join key and a node key make a new node of the key's network (the rate limit is api/join.ts's).

/** The store, the presence directory (peers hear of the new node), the join counter and the log. */
export type JoinParts = Pick<ControlPlaneDeps, 'store' | 'cluster' | 'metrics' | 'log'>;

/** A join, counted by result; a refused one is also logged and shown to the consoles. */
export async function join(
  parts: JoinParts,
  req: JoinRequest,
  remoteAddress: string | null,
): Promise<JoinResponse> {
  try {
    const res = await joinUnchecked(parts, req);
    parts.metrics.joins.inc({ result: 'ok' });
    return res;
  } catch (err) {
    if (err instanceof ControlPlaneError) {
      parts.metrics.joins.inc({ result: err.code });
      const parsed = parseJoinKey(req.key);
      const networkId = parsed ? ((await parts.store.joinKeys.get(parsed.id))?.networkId ?? null) : null;
      parts.cluster.publishFeed({
        kind: 'join-rejected',
        networkId,
        code: err.code,
        reason: err.message,
        name: req.name,
        remoteAddress,
      });
      parts.log.warn({ code: err.code, name: req.name, remoteAddress }, `join rejected: ${err.message}`);
    }
    throw err;
  }
}

async function joinUnchecked(parts: JoinParts, req: JoinRequest): Promise<JoinResponse> {
  const { store } = parts;
  const parsed = parseJoinKey(req.key);
  const row = parsed && (await store.joinKeys.get(parsed.id));
  if (!parsed || !row || !secretMatches(parsed.secret, row.secretHash)) {
    throw new ControlPlaneError(ErrorCode.InvalidKey, 'join key is not valid', 401);
  }
  const now = Date.now();
  if (row.revokedAt !== null) throw new ControlPlaneError(ErrorCode.KeyRevoked, 'join key was revoked', 403);
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
  if (await store.nodes.isKeyRevoked(req.publicKey)) {
    throw new ControlPlaneError(
      ErrorCode.PublicKeyRejected,
      'this node key belongs to a removed node; generate a new key',
      403,
    );
  }
  const network = (await store.networks.get(row.networkId))!;
  const existing = await store.nodes.findByPublicKey(req.publicKey);
  if (existing) {
    // A retried join (the agent lost the answer) gets the same node back without using the key again.
    if (existing.networkId !== network.id) {
      throw new ControlPlaneError(
        ErrorCode.PublicKeyRejected,
        'this node key is registered in another network',
        409,
      );
    }
    return joinResponse(existing, network);
  }
  const node = await allocateNode(store, req, row, network, now);
  parts.log.info(
    { node: node.id, name: node.name, network: network.id, addresses: node.addresses },
    'node joined',
  );
  parts.cluster.publishFeed({
    kind: 'node',
    action: 'joined',
    networkId: network.id,
    nodeId: node.id,
    node: nodeSummaryIn(parts.cluster, node, network),
  });
  // Peers learn about the (still offline) new node at once; `peer-joined` follows when it connects.
  parts.cluster.broadcast(
    network.id,
    { type: 'peer-updated', peer: peerInfo(parts.cluster, node, network) },
    node.id,
  );
  return joinResponse(node, network);
}

function joinResponse(node: NodeRow, network: NetworkRow): JoinResponse {
  return {
    nodeId: node.id,
    name: node.name,
    network: networkInfo(network),
    addresses: addressesOf(node, network),
    mac: node.mac,
  };
}
