import {
  type Advertise,
  type AgentEvent,
  type Binding,
  LIMITS,
  type LinkReport,
  type Route,
  type ScalarRecord,
} from '@rtcmesh/protocol';
import { type AuditDeps, recordAudit } from '../audit/audit.js';
import { nodeIps } from '../ipam/ipv6.js';
import { autoApprove } from '../routes/route-approval.js';
import type { TelemetryChange } from '../telemetry/latest.js';
import { normalizeBindings, normalizeRoutes } from './advertisements.js';
import type { ControlPlaneContext } from './context.js';
import type { ControlPlaneDeps } from './control-plane.js';
import { ControlPlaneError } from './errors.js';

// What a node's agent reports on its session: its advertisements, netcheck, link telemetry and events.

/** Stores the node's bindings and routes (advertisements.ts checks them), then announces the node. */
export async function advertise(
  ctx: ControlPlaneContext,
  parts: AuditDeps,
  nodeId: string,
  msg: Advertise,
): Promise<void> {
  const node = await ctx.controlPlane.requireNode(nodeId);
  const network = (await ctx.store.networks.get(node.networkId))!;
  let bindings: Binding[] | undefined;
  let routes: Route[] | undefined;
  try {
    bindings = msg.bindings && normalizeBindings(msg.bindings);
    routes =
      msg.routes &&
      normalizeRoutes(msg.routes, network, nodeIps(node.addresses, network), ctx.protectedAddresses);
  } catch (err) {
    if (!(err instanceof ControlPlaneError)) throw err;
    // A refused advertisement is what a hostile or misconfigured member looks like: the admin sees it
    // in the log, in /metrics and in the console's events; nothing of it is stored or sent on.
    parts.metrics.rejected.inc({ reason: err.code });
    ctx.log.warn(
      { node: node.id, name: node.name, network: network.name, err: err.message },
      'advertisement refused',
    );
    recordAgentEvent(parts, node.id, network.id, {
      kind: 'route-refused',
      message: `advertisement refused: ${err.message}`.slice(0, LIMITS.maxTextBytes),
    });
    throw err;
  }
  await ctx.store.nodes.setAdvertisements(nodeId, bindings, routes);
  if (routes) await autoApprove(ctx, node, network, routes);
  await ctx.controlPlane.announceUpdate(nodeId);
}

export async function setNetcheck(
  ctx: ControlPlaneContext,
  nodeId: string,
  netcheck: ScalarRecord,
): Promise<void> {
  await ctx.store.nodes.setNetcheck(nodeId, netcheck);
  await ctx.controlPlane.announceUpdate(nodeId);
}

/** Keeps the node's latest link reports and shows them to the consoles. */
export function recordTelemetry(
  parts: Pick<ControlPlaneDeps, 'telemetry' | 'cluster'>,
  nodeId: string,
  networkId: string,
  links: LinkReport[],
  change: TelemetryChange = {},
): void {
  parts.telemetry.record(networkId, nodeId, links, Date.now(), change);
  // An idle node's partial report is empty: nothing for the bus or the consoles.
  if (change.partial && links.length === 0 && !change.gone?.length) return;
  parts.cluster.publishFeed({
    kind: 'telemetry',
    networkId,
    nodeId,
    links,
    ...(change.partial ? { partial: true } : {}),
    ...(change.gone?.length ? { gone: [...change.gone] } : {}),
  });
}

/** Counts the agent's event and shows it to the consoles; a browser session's end is also audited. */
export function recordAgentEvent(
  parts: AuditDeps,
  nodeId: string,
  networkId: string,
  event: AgentEvent,
): void {
  parts.metrics.agentEvents.inc({ kind: event.kind });
  parts.cluster.publishFeed({ kind: 'agent-event', networkId, nodeId, event });
  // A browser proxy session's end goes to the audit log beside its opening: bytes and duration, as the node reports them.
  const d = event.details;
  if (event.kind === 'browser-session' && d?.state === 'closed')
    void recordAudit(parts, {
      actor: String(d.principal ?? 'browser'),
      action: 'browser-session.close',
      target: `${nodeId} ${String(d.target)} ${String(d.bytesToBrowser)}B/${String(d.bytesFromBrowser)}B ${String(d.durationS)}s`,
      source: null,
    });
}
