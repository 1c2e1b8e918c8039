import { CreateKeyRequestSchema } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import type { Mesh } from '../mesh/mesh.js';
import { readBody } from './errors.js';

export function keysApi(mesh: Mesh): Hono {
  return new Hono()
    .get('/', async (c) => c.json({ keys: await mesh.listKeys(c.req.query('network')) }))
    .post('/', async (c) => c.json(await mesh.createKey(await readBody(c, CreateKeyRequestSchema)), 201))
    .delete('/:id', async (c) => c.json(await mesh.revokeKey(c.req.param('id'))));
}
