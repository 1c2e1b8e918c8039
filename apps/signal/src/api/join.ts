import type { HttpBindings } from '@hono/node-server';
import { JoinRequestSchema } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import type { Mesh } from '../mesh/mesh.js';
import { readBody } from './errors.js';

/** POST /api/v1/join: authenticated by the join key in the body, not by the admin token. */
export function joinApi(mesh: Mesh): Hono<{ Bindings: HttpBindings }> {
  return new Hono<{ Bindings: HttpBindings }>().post('/', async (c) => {
    const req = await readBody(c, JoinRequestSchema);
    const remote = c.env?.incoming?.socket?.remoteAddress ?? null;
    return c.json(mesh.join(req, remote), 200);
  });
}
