import { dnsLabel, ErrorCode, type NodeSummary } from '@rtcmesh/protocol';
import type { ControlPlaneContext } from './context.js';
import { ControlPlaneError } from './errors.js';

/**
 * `rtcmesh-signal node rename`: a node's new name, refused when another node of the network has it
 * as a name or as a DNS label (every member's resolver must map a label to one node). Peers hear it
 * in `peer-updated` (their resolvers answer the new name at once), the node itself in a `config`.
 */
export async function renameNode(
  ctx: ControlPlaneContext,
  nodeIdOrName: string,
  name: string,
  inNetwork?: string,
): Promise<NodeSummary> {
  const node = await ctx.controlPlane.requireNode(nodeIdOrName, inNetwork);
  const network = await ctx.controlPlane.requireNetwork(node.networkId);
  const others = (await ctx.store.nodes.list(network.id)).filter((n) => n.id !== node.id);
  const clash = others.find((n) => n.name === name || dnsLabel(n.name) === dnsLabel(name));
  if (clash)
    throw new ControlPlaneError(
      ErrorCode.Conflict,
      clash.name === name
        ? `${network.name} already has a node named ${name}`
        : `${name} would answer as ${dnsLabel(name)}.${network.name}, the DNS name of ${clash.name}`,
      409,
    );
  if (node.name !== name) await ctx.store.nodes.rename(node.id, name);
  const summary =
    (await ctx.controlPlane.announceUpdate(node.id, { toSelf: true })) ??
    (await ctx.controlPlane.nodeSummary(await ctx.controlPlane.requireNode(node.id)));
  ctx.log.info({ node: node.id, from: node.name, to: name, network: network.name }, 'node renamed');
  return summary;
}
