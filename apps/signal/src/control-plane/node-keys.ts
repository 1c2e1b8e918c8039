import {
  ErrorCode,
  type LockDisablement,
  type NetworkSummary,
  type NodeSummary,
  REKEY_DOMAIN,
  rawPublicKeyProblem,
  rekeyPayload,
  verifyDomain,
  verifyLockDisablement,
  verifyNodeKeySignature,
} from '@rtcmesh/protocol';
import { isUniqueViolation } from '../store/index.js';
import type { NodeRow } from '../store/nodes.js';
import type { ControlPlaneContext } from './context.js';
import { ControlPlaneError } from './errors.js';
import { networkInfo } from './views.js';

// Node keys: rotation, and locked networks (operator lock keys, their disablement, node key signatures).

/**
 * Rotates a node's key (`rekey` on its authenticated session, which proved the old key; `signature`
 * proves the new one). The old key is banned for good; peers get the new key in `peer-updated` and
 * verify the node's next DTLS fingerprints with it. Links already up stay up.
 */
export async function rotateNodeKey(
  ctx: ControlPlaneContext,
  nodeId: string,
  publicKey: string,
  signature: string,
): Promise<NodeRow> {
  const node = await ctx.controlPlane.requireNode(nodeId);
  const keyProblem = rawPublicKeyProblem(publicKey);
  if (keyProblem) throw new ControlPlaneError(ErrorCode.InvalidMessage, `publicKey: ${keyProblem}`);
  if (!verifyDomain(publicKey, REKEY_DOMAIN, rekeyPayload(node.id, node.publicKey, publicKey), signature)) {
    throw new ControlPlaneError(ErrorCode.AuthFailed, 'the new key did not sign the rotation', 403);
  }
  if ((await ctx.store.nodes.isKeyRevoked(publicKey)) || (await ctx.store.nodes.findByPublicKey(publicKey))) {
    throw new ControlPlaneError(
      ErrorCode.PublicKeyRejected,
      'this key was used before; generate a new one',
      409,
    );
  }
  let rotated: boolean;
  try {
    rotated = await ctx.store.transaction((tx) =>
      tx.nodes.rotateKey(node.id, node.publicKey, publicKey, Date.now()),
    );
  } catch (err) {
    // The same new key raced in through another request or instance.
    if (isUniqueViolation(err))
      throw new ControlPlaneError(
        ErrorCode.PublicKeyRejected,
        'this key was used before; generate a new one',
        409,
      );
    throw err;
  }
  if (!rotated) throw new ControlPlaneError(ErrorCode.Conflict, 'the node key changed meanwhile; retry', 409);
  ctx.log.info({ node: node.id, name: node.name }, 'node key rotated');
  await ctx.controlPlane.announceUpdate(node.id);
  return ctx.controlPlane.requireNode(node.id);
}

/**
 * Locks a network to operator keys (or unlocks it with an empty list). Agents pin the keys the first
 * time they see them and keep enforcing them whatever this server says later (SECURITY.md); only an
 * operator's signed disablement (`rtcmesh-signal lock disable`), passed on here, lifts their pins.
 */
export async function setNetworkLock(
  ctx: ControlPlaneContext,
  networkIdOrName: string,
  keys: readonly string[],
  disablement?: LockDisablement,
): Promise<NetworkSummary> {
  const network = await ctx.controlPlane.requireNetwork(networkIdOrName);
  if (disablement) {
    if (keys.length > 0)
      throw new ControlPlaneError(
        ErrorCode.InvalidMessage,
        'a disablement lifts the lock: send it with no keys',
      );
    if (!network.lockKeys?.length)
      throw new ControlPlaneError(ErrorCode.InvalidMessage, `network ${network.name} is not locked`, 409);
    if (!verifyLockDisablement(network.lockKeys, network.id, disablement))
      throw new ControlPlaneError(
        ErrorCode.InvalidMessage,
        `the disablement is not signed by a lock key of ${network.name} over its current keys`,
      );
  }
  for (const k of keys) {
    const problem = rawPublicKeyProblem(k);
    if (problem)
      throw new ControlPlaneError(ErrorCode.InvalidMessage, `lock key ${k.slice(0, 16)}…: ${problem}`);
  }
  const unique = [...new Set(keys)];
  if (unique.length > 8) throw new ControlPlaneError(ErrorCode.InvalidMessage, 'at most 8 lock keys');
  await ctx.store.networks.setLockKeys(network.id, unique, disablement);
  const updated = await ctx.controlPlane.requireNetwork(network.id);
  ctx.cluster.broadcast(network.id, { type: 'config', network: networkInfo(updated) });
  ctx.log.info(
    { network: network.id, keys: unique.length, signed: disablement !== undefined },
    unique.length
      ? 'network locked'
      : disablement
        ? 'network lock lifted by an operator key: agents unpin it'
        : 'network unlocked on the server (agents that pinned its keys keep them)',
  );
  return ctx.controlPlane.networkSummary(updated);
}

/** Stores an operator's signature over a node's current key (checked against the network's lock keys). */
export async function signNodeKey(
  ctx: ControlPlaneContext,
  idOrName: string,
  signature: string,
  inNetwork?: string,
): Promise<NodeSummary> {
  const node = await ctx.controlPlane.requireNode(idOrName, inNetwork);
  const network = (await ctx.store.networks.get(node.networkId))!;
  if (!network.lockKeys?.length) {
    throw new ControlPlaneError(ErrorCode.InvalidMessage, `network ${network.name} is not locked`, 409);
  }
  if (!verifyNodeKeySignature(network.lockKeys, network.id, node.id, node.publicKey, signature)) {
    throw new ControlPlaneError(
      ErrorCode.AuthFailed,
      `the signature does not cover ${node.name}'s current key with a lock key of ${network.name}`,
      400,
    );
  }
  await ctx.store.nodes.setKeySignature(node.id, signature);
  await ctx.controlPlane.announceUpdate(node.id);
  return ctx.controlPlane.nodeSummary(await ctx.controlPlane.requireNode(node.id));
}
