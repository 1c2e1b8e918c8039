import {
  type CreateNetworkRequest,
  DEFAULT_L2_SETTINGS,
  ErrorCode,
  L2SettingsSchema,
  type NetworkSummary,
  type SetL2SettingsRequest,
} from '@rtcmesh/protocol';
import { formatCidr, type Ipv4Cidr, parseIpv4Cidr } from '../ipam/ipv4.js';
import { canonicalIpv6Prefix, ipv6PrefixProblem, newUlaPrefix } from '../ipam/ipv6.js';
import { isUniqueViolation, type Store } from '../store/index.js';
import type { NetworkRow } from '../store/networks.js';
import type { ControlPlaneContext } from './context.js';
import type { ControlPlaneDeps } from './control-plane.js';
import { ControlPlaneError } from './errors.js';
import { newId } from './ids.js';
import { networkInfo } from './views.js';

// Networks: creating, finding, summarizing and deleting one, and an L2 network's settings.

const DEFAULT_CIDR = '10.99.0.0/24';
const DEFAULT_MTU = 1280;

export async function createNetwork(
  ctx: ControlPlaneContext,
  req: CreateNetworkRequest,
): Promise<NetworkSummary> {
  const cidr = parseIpv4Cidr(req.cidr ?? DEFAULT_CIDR);
  if (!cidr || cidr.prefix < 8 || cidr.prefix > 30) {
    throw new ControlPlaneError(ErrorCode.InvalidMessage, 'cidr must be an IPv4 CIDR between /8 and /30');
  }
  const cidr6 = ipv6Of(req, cidr);
  if (await ctx.store.networks.find(req.name))
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
    await ctx.store.networks.insert(row);
  } catch (err) {
    // Another instance (or request) created the same name between our check and insert.
    if (isUniqueViolation(err))
      throw new ControlPlaneError(ErrorCode.Conflict, `network ${req.name} exists`, 409);
    throw err;
  }
  const summary = await ctx.controlPlane.networkSummary(row);
  ctx.cluster.publishFeed({ kind: 'network', action: 'created', network: summary });
  ctx.log.info(
    { network: row.id, name: row.name, mode: row.mode, cidr: row.cidr, cidr6: row.cidr6 },
    'network created',
  );
  return summary;
}

/** A network by id or name; 404 when there is none. */
export async function requireNetwork(store: Store, idOrName: string): Promise<NetworkRow> {
  const n = await store.networks.find(idOrName);
  if (!n) throw new ControlPlaneError(ErrorCode.NotFound, `no network ${idOrName}`, 404);
  return n;
}

/** A network as admins see it: with its node count and how many are online on any instance. */
export async function networkSummary(
  parts: Pick<ControlPlaneDeps, 'store' | 'cluster'>,
  n: NetworkRow,
): Promise<NetworkSummary> {
  return {
    ...networkInfo(n),
    createdAt: n.createdAt,
    nodeCount: await parts.store.nodes.countInNetwork(n.id),
    onlineCount: parts.cluster.onlineCount(n.id),
  };
}

export async function listNetworks(ctx: ControlPlaneContext): Promise<NetworkSummary[]> {
  return Promise.all((await ctx.store.networks.list()).map((n) => ctx.controlPlane.networkSummary(n)));
}

/**
 * `rtcmesh-signal network delete`: the network, its join keys, policy and addresses. One that still
 * has nodes is refused unless `force`: then every node is removed as by `node remove` (its key
 * revoked for good, its agent told and stopped), in the same transaction.
 */
export async function deleteNetwork(
  ctx: ControlPlaneContext,
  parts: Pick<ControlPlaneDeps, 'telemetry' | 'cluster'>,
  idOrName: string,
  force: boolean,
): Promise<NetworkSummary> {
  const network = await ctx.controlPlane.requireNetwork(idOrName);
  const summary = await ctx.controlPlane.networkSummary(network);
  const nodes = await ctx.store.nodes.list(network.id);
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
  await ctx.store.transaction(async (tx) => {
    for (const n of nodes) await tx.nodes.remove(n.id, at);
    await tx.networks.remove(network.id);
  });
  for (const n of nodes) {
    parts.telemetry.forgetNode(n.id);
    parts.cluster.kick(n.id, `network ${network.name} deleted by an admin`);
  }
  ctx.cluster.publishFeed({ kind: 'network', action: 'deleted', network: summary });
  ctx.log.info({ network: network.id, name: network.name, nodes: nodes.length }, 'network deleted');
  return summary;
}

/**
 * Changes an L2 network's storm control and DHCP filtering; members apply it live (a `config`).
 * Settings not named keep their value.
 */
export async function setL2Settings(
  ctx: ControlPlaneContext,
  networkIdOrName: string,
  patch: SetL2SettingsRequest,
): Promise<NetworkSummary> {
  const network = await ctx.controlPlane.requireNetwork(networkIdOrName);
  if (network.mode !== 'l2')
    throw new ControlPlaneError(
      ErrorCode.InvalidMessage,
      `network ${network.name} is L3: storm control and DHCP filtering are L2 settings`,
      409,
    );
  const merged = L2SettingsSchema.parse({ ...DEFAULT_L2_SETTINGS, ...network.l2, ...patch });
  await ctx.store.networks.setL2Settings(network.id, merged);
  const updated = await ctx.controlPlane.requireNetwork(network.id);
  ctx.cluster.broadcast(network.id, { type: 'config', network: networkInfo(updated) });
  ctx.log.info({ network: network.id, ...merged }, 'network L2 settings changed');
  const summary = await ctx.controlPlane.networkSummary(updated);
  ctx.cluster.publishFeed({ kind: 'network', action: 'updated', network: summary });
  return summary;
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
