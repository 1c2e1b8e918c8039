import { Hono } from 'hono';
import type { AdminEnv } from '../console/admin-auth.js';
import type { Mesh } from '../mesh/mesh.js';

/**
 * GET /api/v1/cluster: this instance's id, its bus, its local session count and the sessions it
 * sees per instance (its own included). Two instances that disagree for longer than a heartbeat
 * TTL point at a bus problem.
 */
export function clusterApi(mesh: Mesh): Hono<AdminEnv> {
  return new Hono<AdminEnv>().get('/', async (c) => {
    const cluster = mesh.deps.cluster;
    return c.json({
      instance: cluster.instanceId,
      bus: cluster.bus.kind,
      localSessions: mesh.deps.hub.size,
      live: [...(await cluster.bus.liveInstances().catch(() => new Set<string>()))].sort(),
      sessionsByInstance: cluster.sessionsByInstance(),
    });
  });
}
