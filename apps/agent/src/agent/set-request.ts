import {
  isExitRoute,
  type NetworkInfo,
  prefixesOverlap,
  RouteSchema,
  unroutablePrefixProblem,
} from '@rtcmesh/protocol';
import { LocalApiError, type SetRequest } from '../localapi/schema.js';
import { type MobilitySpec, parseMobilitySpec } from '../mobility/mobility-spec.js';

/** A `rtcmesh set` request checked against the running network, before anything changes. */
export interface CheckedSetRequest {
  /** `--mobility`, parsed ([] for none); undefined when the request does not touch it. */
  mobility: MobilitySpec[] | undefined;
}

/**
 * Refuses, with the reason, a `rtcmesh set` that cannot apply to this network: routes on an L2
 * network, a prefix that is not one or would cut the overlay, a mobility spec that does not parse or
 * names a prefix or bridge twice. Nothing is applied unless the whole request is good.
 */
export function checkSetRequest(req: SetRequest, network: NetworkInfo): CheckedSetRequest {
  if ((req.advertiseRoutes || req.acceptRoutes !== undefined) && network.mode !== 'l3')
    throw new LocalApiError('bad-request', `routes are for L3 networks; ${network.name} is L2`);
  if (req.advertiseRoutes) {
    const problem = req.advertiseRoutes
      .map((p) => advertisedRouteProblem(p, network.cidr, network.cidr6))
      .find((p) => p !== undefined);
    if (problem) throw new LocalApiError('bad-request', problem);
  }
  if (!req.mobility) return { mobility: undefined };
  let mobility: MobilitySpec[];
  try {
    mobility = req.mobility.filter((v) => v !== '').map(parseMobilitySpec);
  } catch (err) {
    throw new LocalApiError('bad-request', (err as Error).message);
  }
  const prefixes = mobility.map((m) => m.prefix);
  const bridges = mobility.map((m) => m.bridge);
  if (new Set(prefixes).size !== prefixes.length || new Set(bridges).size !== bridges.length)
    throw new LocalApiError('bad-request', '--mobility: one prefix per bridge, one bridge per prefix');
  return { mobility };
}

/** Why `prefix` cannot be advertised (`rtcmesh set --advertise-routes`), or undefined. */
export function advertisedRouteProblem(
  prefix: string,
  networkCidr: string,
  networkCidr6?: string,
): string | undefined {
  const parsed = RouteSchema.shape.prefix.safeParse(prefix);
  if (!parsed.success)
    return `${prefix} is not a prefix like 10.1.0.0/24 (${parsed.error.issues[0]?.message ?? 'invalid'})`;
  if (isExitRoute(prefix)) return `${prefix} is an exit route: use --advertise-exit-node`;
  for (const net of [networkCidr, networkCidr6])
    if (net !== undefined && prefixesOverlap(prefix, net))
      return `${prefix} overlaps the overlay network ${net}`;
  return unroutablePrefixProblem(prefix);
}
