import { CreateKeyRequestSchema } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { readBody } from './errors.js';

export function keysApi(controlPlane: ControlPlane): Hono {
  return new Hono()
    .get('/', async (c) => c.json({ keys: await controlPlane.listKeys(c.req.query('network')) }))
    .post('/', async (c) =>
      c.json(await controlPlane.createKey(await readBody(c, CreateKeyRequestSchema)), 201),
    )
    .delete('/:id', async (c) => c.json(await controlPlane.revokeKey(c.req.param('id'))));
}
