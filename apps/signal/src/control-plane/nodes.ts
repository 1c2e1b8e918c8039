import { ErrorCode, type NodeSummary, type PeerInfo } from '@rtcmesh/protocol';
import type { Store } from '../store/index.js';
import type { NetworkRow } from '../store/networks.js';
import type { NodeRow } from '../store/nodes.js';
import type { ControlPlaneContext } from './context.js';
import type { ControlPlaneDeps } from './control-plane.js';
import { ControlPlaneError } from './errors.js';
import { requireNetwork } from './networks.js';
import { nodeSummaryIn, peerInfo, selfInfo } from './node-views.js';

// Nodes: finding and listing them, removing one, and telling its peers and the consoles how it looks now.

/** The store, and the presence directory the views of a node read. */
export type NodeParts = Pick<ControlPlaneDeps, 'store' | 'cluster'>;

/**
 * A node by id, or by name within `network` (id or name). A name without a network must be unique
 * across networks: acting on another network's node of the same name is what an admin must never do
 * by accident, so an ambiguous name is refused with the networks it is in.
 */
export async function requireNode(store: Store, idOrName: string, network?: string): Promise<NodeRow> {
  let matches = await store.nodes.findAll(idOrName);
  const where = network === undefined ? undefined : await requireNetwork(store, network);
  if (where) matches = matches.filter((n) => n.networkId === where.id);
  if (matches.length === 0)
    throw new ControlPlaneError(
      ErrorCode.NotFound,
      `no node ${idOrName}${where ? ` in network ${where.name}` : ''}`,
      404,
    );
  if (matches.length > 1) {
    const names = await Promise.all(
      matches.map(async (n) => (await store.networks.get(n.networkId))?.name ?? n.networkId),
    );
    throw new ControlPlaneError(
      ErrorCode.Conflict,
      `node name ${idOrName} is in networks ${names.join(', ')}: give the network (--network, ?network=) or the node id`,
      409,
    );
  }
  return matches[0]!;
}

export async function listNodes(parts: NodeParts, network?: string): Promise<NodeSummary[]> {
  const networkId = network === undefined ? undefined : (await requireNetwork(parts.store, network)).id;
  const networks = new Map((await parts.store.networks.list()).map((n) => [n.id, n]));
  return (await parts.store.nodes.list(networkId)).map((n) =>
    nodeSummaryIn(parts.cluster, n, networks.get(n.networkId)!),
  );
}

export async function nodeSummary(parts: NodeParts, n: NodeRow): Promise<NodeSummary> {
  return nodeSummaryIn(parts.cluster, n, (await parts.store.networks.get(n.networkId))!);
}

/** The other members of `network`, as `n` sees them. */
export async function peersOf(parts: NodeParts, n: NodeRow, network: NetworkRow): Promise<PeerInfo[]> {
  return (await parts.store.nodes.list(network.id))
    .filter((p) => p.id !== n.id)
    .map((p) => peerInfo(parts.cluster, p, network));
}

/** Deletes the node, frees its addresses, bans its key, tells its peers and closes its session. */
export async function removeNode(
  ctx: ControlPlaneContext,
  parts: Pick<ControlPlaneDeps, 'telemetry' | 'cluster'>,
  idOrName: string,
  network?: string,
): Promise<NodeSummary> {
  const node = await ctx.controlPlane.requireNode(idOrName, network);
  const summary = await ctx.controlPlane.nodeSummary(node);
  await ctx.store.transaction((tx) => tx.nodes.remove(node.id, Date.now()));
  parts.telemetry.forgetNode(node.id);
  parts.cluster.kick(node.id, 'removed by an admin');
  ctx.cluster.broadcast(node.networkId, { type: 'peer-removed', nodeId: node.id }, node.id);
  ctx.cluster.publishFeed({
    kind: 'node',
    action: 'removed',
    networkId: node.networkId,
    nodeId: node.id,
    node: null,
  });
  ctx.log.info({ node: node.id, name: node.name }, 'node removed');
  return summary;
}

/**
 * Tells the node's peers (peer-updated) and the consoles what the node looks like now; with
 * `toSelf`, the node itself too (a `config` with its new name or tags). Returns what the consoles got.
 */
export async function announceUpdate(
  parts: NodeParts,
  nodeId: string,
  o: { toSelf?: boolean } = {},
): Promise<NodeSummary | undefined> {
  const node = await parts.store.nodes.get(nodeId);
  if (!node) return undefined;
  const network = (await parts.store.networks.get(node.networkId))!;
  parts.cluster.broadcast(
    network.id,
    { type: 'peer-updated', peer: peerInfo(parts.cluster, node, network) },
    nodeId,
  );
  if (o.toSelf) parts.cluster.sendTo(network.id, nodeId, { type: 'config', self: selfInfo(node, network) });
  const summary = nodeSummaryIn(parts.cluster, node, network);
  parts.cluster.publishFeed({
    kind: 'node',
    action: 'updated',
    networkId: network.id,
    nodeId,
    node: summary,
  });
  return summary;
}
