import { RouteDecisionRequestSchema } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import type { ControlPlaneContext } from '../control-plane/context.js';
import { decideRoute, listRoutes } from '../routes/route-approval.js';
import { readBody } from './errors.js';

/** GET/PUT /api/v1/networks/:id/routes (mounted with the network id or name in the path). */
export function routesApi(ctx: ControlPlaneContext): Hono {
  return new Hono()
    .get('/', async (c) => c.json(await listRoutes(ctx, c.req.param('id') ?? '')))
    .put('/', async (c) =>
      c.json(await decideRoute(ctx, c.req.param('id') ?? '', await readBody(c, RouteDecisionRequestSchema))),
    );
}
