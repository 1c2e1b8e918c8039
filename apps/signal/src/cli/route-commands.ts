import type { RouteInfo, RouteListResponse } from '@rtcmesh/protocol';
import type { Command } from 'commander';
import { adminRequest } from './admin-client.js';
import { addTarget, out, type TargetOpts, table, targetOf } from './admin-commands.js';

function routesPath(network: string): string {
  return `/api/v1/networks/${encodeURIComponent(network)}/routes`;
}

/**
 * `route list|approve|reject`: routes nodes advertise reach the other members only once approved
 * (by an admin here, or by the policy's autoApprovers). SECURITY.md, "A hostile member".
 */
export function registerRouteCommands(program: Command): void {
  const route = program
    .command('route')
    .description('subnet and host routes nodes advertise, and their approval');
  addTarget(
    route
      .command('list <network>')
      .description('every advertised route with its state: pending, approved or rejected')
      .option('--json', 'JSON output'),
  ).action(async (network: string, o: TargetOpts & { json?: boolean }) => {
    const { routes } = await adminRequest<RouteListResponse>(targetOf(o), 'GET', routesPath(network));
    if (o.json) return out(JSON.stringify(routes, null, 2));
    if (routes.length === 0) return out('no routes advertised');
    table([
      ['NODE', 'PREFIX', 'STATE'],
      ...routes.map((r) => [
        r.node,
        r.prefix,
        r.within ? `approved (host in ${r.within})` : r.auto ? 'approved (auto)' : r.state,
      ]),
    ]);
  });
  for (const [verb, state] of [
    ['approve', 'approved'],
    ['reject', 'rejected'],
  ] as const) {
    addTarget(
      route
        .command(`${verb} <network> <node> <prefix>`)
        .description(
          verb === 'approve'
            ? "distribute the node's route to the other members (nodes with --accept-routes install it)"
            : 'withdraw the route from the other members and keep it withdrawn',
        ),
    ).action(async (network: string, node: string, prefix: string, o: TargetOpts) => {
      const r = await adminRequest<RouteInfo>(targetOf(o), 'PUT', routesPath(network), {
        node,
        prefix,
        state,
      });
      out(`route ${r.prefix} of ${r.node} ${r.state}`);
    });
  }
}
