import { entriesSelect, type Policy, validatePolicy } from '@rtcmesh/policy';
import {
  ErrorCode,
  isExitRoute,
  prefixCovers,
  prefixesOverlap,
  type Route,
  type RouteDecisionRequest,
  type RouteInfo,
  type RouteListResponse,
} from '@rtcmesh/protocol';
import { normalizeRoutes } from '../control-plane/advertisements.js';
import type { ControlPlaneContext } from '../control-plane/context.js';
import { ControlPlaneError } from '../control-plane/errors.js';
import { nodeIps } from '../ipam/ipv6.js';
import type { NetworkRow } from '../store/networks.js';
import type { NodeRow, RouteDecision } from '../store/nodes.js';

/**
 * Route approval (issue 16), as Tailscale users know it: a route a node advertises is *pending* until
 * an admin approves it, or the network policy's `autoApprovers` does when it is advertised; only
 * approved routes reach the other members. A node's own overlay address (its /32 inside the network
 * CIDR) needs no approval. Decisions are kept per (node, prefix): a route withdrawn and advertised
 * again keeps its decision; an admin can reject an auto-approved route.
 */

/** A route inside the network's CIDR: the node's own address (the server allows nothing else there). */
function ownAddress(prefix: string, network: NetworkRow): boolean {
  const inside = (cidr: string) => {
    // Inside, not merely overlapping: an exit node's 0.0.0.0/0 overlaps every network and must wait.
    const len = Number(prefix.slice(prefix.lastIndexOf('/') + 1));
    const netLen = Number(cidr.slice(cidr.lastIndexOf('/') + 1));
    return len >= netLen && prefixesOverlap(prefix, cidr);
  };
  try {
    return inside(network.cidr) || (network.cidr6 !== undefined && inside(network.cidr6));
  } catch {
    return false;
  }
}

export function routeInfo(node: NodeRow, network: NetworkRow, prefix: string): RouteInfo {
  const base = { nodeId: node.id, node: node.name, prefix };
  if (ownAddress(prefix, network)) return { ...base, state: 'approved' };
  const d = node.routeDecisions[prefix];
  if (d === undefined) {
    const covering = coveringApproval(node, prefix);
    return covering
      ? { ...base, state: 'approved', auto: true, within: covering }
      : { ...base, state: 'pending' };
  }
  return d === 'auto' ? { ...base, state: 'approved', auto: true } : { ...base, state: d };
}

/**
 * A workload's host route (/32, /128) inside a prefix the node advertises and has approved (its
 * mobility prefix, `rtcmesh up --mobility`): approved with it, as hosts come and go with no admin in
 * the loop. An explicit decision on the /32 itself still wins (an admin can reject one host).
 */
function coveringApproval(node: NodeRow, prefix: string): string | undefined {
  const slash = prefix.lastIndexOf('/');
  const len = Number(prefix.slice(slash + 1));
  if (len !== (prefix.includes(':') ? 128 : 32)) return undefined;
  const ip = prefix.slice(0, slash);
  for (const r of node.routes) {
    if (r.prefix === prefix || isExitRoute(r.prefix)) continue;
    const d = node.routeDecisions[r.prefix];
    if ((d === 'approved' || d === 'auto') && prefixCovers(r.prefix, ip)) return r.prefix;
  }
  return undefined;
}

/** The routes other members get: the approved ones. */
export function approvedRoutes(node: NodeRow, network: NetworkRow): Route[] {
  return node.routes.filter((r) => routeInfo(node, network, r.prefix).state === 'approved');
}

/** The network's policy, if it has one (stored documents were validated when written). */
async function policyOf(ctx: ControlPlaneContext, networkId: string): Promise<Policy | undefined> {
  const row = await ctx.store.policies.get(networkId);
  if (!row) return undefined;
  const v = validatePolicy(row.document);
  return v.ok ? v.policy : undefined;
}

/** True when a prefix lies inside an autoApprovers prefix whose selectors pick the node. */
function autoApproved(policy: Policy, node: NodeRow, prefix: string): boolean {
  const len = Number(prefix.slice(prefix.lastIndexOf('/') + 1));
  const subject = { id: node.id, name: node.name, tags: node.tags, addresses: [], routes: [] };
  for (const [approver, who] of Object.entries(policy.autoApprovers?.routes ?? {})) {
    const approverLen = Number(approver.slice(approver.lastIndexOf('/') + 1));
    const inside = len >= approverLen && prefixCovers(approver, prefix.slice(0, prefix.lastIndexOf('/')));
    if (inside && entriesSelect(who, subject, policy)) return true;
  }
  return false;
}

/**
 * The node's decisions once `routes` are advertised: pending prefixes the policy's autoApprovers
 * cover become `auto`. Returns undefined when nothing changes.
 */
export function withAutoApprovals(
  node: NodeRow,
  network: NetworkRow,
  routes: readonly Route[],
  policy: Policy | undefined,
): Record<string, RouteDecision> | undefined {
  if (!policy?.autoApprovers?.routes) return undefined;
  const next = { ...node.routeDecisions };
  let changed = false;
  for (const r of routes) {
    if (ownAddress(r.prefix, network) || next[r.prefix] !== undefined) continue;
    if (autoApproved(policy, node, r.prefix)) {
      next[r.prefix] = 'auto';
      changed = true;
    }
  }
  return changed ? next : undefined;
}

/** Auto-approval at advertise time (called by ControlPlane.advertise with the normalized routes). */
export async function autoApprove(
  ctx: ControlPlaneContext,
  node: NodeRow,
  network: NetworkRow,
  routes: Route[],
) {
  const next = withAutoApprovals(node, network, routes, await policyOf(ctx, network.id));
  if (next) await ctx.store.nodes.setRouteDecisions(node.id, next);
}

/** After a policy change: pending routes the new autoApprovers cover are approved now. */
export async function reapplyAutoApprovers(ctx: ControlPlaneContext, networkId: string): Promise<void> {
  const network = await ctx.controlPlane.requireNetwork(networkId);
  const policy = await policyOf(ctx, network.id);
  for (const node of await ctx.store.nodes.list(network.id)) {
    const next = withAutoApprovals(node, network, node.routes, policy);
    if (!next) continue;
    await ctx.store.nodes.setRouteDecisions(node.id, next);
    await ctx.controlPlane.announceUpdate(node.id);
  }
}

/** Every advertised route of the network with its state, pending ones first. */
export async function listRoutes(
  ctx: ControlPlaneContext,
  networkIdOrName: string,
): Promise<RouteListResponse> {
  const network = await ctx.controlPlane.requireNetwork(networkIdOrName);
  const order = { pending: 0, approved: 1, rejected: 2 } as const;
  const routes = (await ctx.store.nodes.list(network.id))
    .flatMap((n) => n.routes.map((r) => routeInfo(n, network, r.prefix)))
    .sort((a, b) => order[a.state] - order[b.state] || a.node.localeCompare(b.node));
  return { networkId: network.id, routes };
}

/** An admin approves or rejects one advertised prefix; the members hear of it at once. */
export async function decideRoute(
  ctx: ControlPlaneContext,
  networkIdOrName: string,
  req: RouteDecisionRequest,
): Promise<RouteInfo> {
  const network = await ctx.controlPlane.requireNetwork(networkIdOrName);
  const node = await ctx.controlPlane.requireNode(req.node, network.id);
  const route = node.routes.find((r) => r.prefix === req.prefix);
  if (!route) {
    throw new ControlPlaneError(
      ErrorCode.NotFound,
      `${node.name} does not advertise ${req.prefix} (it advertises ${node.routes.map((r) => r.prefix).join(', ') || 'nothing'})`,
      404,
    );
  }
  if (ownAddress(route.prefix, network))
    throw new ControlPlaneError(
      ErrorCode.InvalidMessage,
      `${route.prefix} is ${node.name}'s own address: always routed`,
    );
  // What no member may route stays refused, also for an admin (the server's addresses may have
  // changed since the route was advertised).
  if (req.state === 'approved')
    normalizeRoutes([route], network, nodeIps(node.addresses, network), ctx.protectedAddresses);
  await ctx.store.nodes.setRouteDecisions(node.id, {
    ...node.routeDecisions,
    [route.prefix]: req.state,
  });
  ctx.log.info(
    { network: network.name, node: node.name, prefix: route.prefix, state: req.state },
    'route decided',
  );
  await ctx.controlPlane.announceUpdate(node.id);
  return routeInfo(await ctx.controlPlane.requireNode(node.id), network, route.prefix);
}
