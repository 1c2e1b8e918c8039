import { Hono } from 'hono';
import type { AdminEnv } from '../console/admin-auth.js';
import type { ControlPlaneDeps } from '../control-plane/control-plane.js';

/**
 * GET /api/v1/cluster: this instance's id, its local session count, the live instances, the sessions
 * it sees per instance (its own included) and its bus (kind; messages not sent / dropped as invalid). Two instances that disagree for longer than a heartbeat
 * TTL point at a bus problem.
 */
export function clusterApi(deps: Pick<ControlPlaneDeps, 'cluster' | 'hub'>): Hono<AdminEnv> {
  return new Hono<AdminEnv>().get('/', async (c) => {
    const cluster = deps.cluster;
    return c.json({
      instance: cluster.instanceId,
      localSessions: deps.hub.size,
      live: [...(await cluster.bus.liveInstances().catch(() => new Set<string>()))].sort(),
      sessionsByInstance: cluster.sessionsByInstance(),
      bus: { kind: cluster.bus.kind, ...cluster.bus.stats() },
    });
  });
}
