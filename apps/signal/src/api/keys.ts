import { CreateKeyRequestSchema } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import type { Mesh } from '../mesh/mesh.js';
import { readBody } from './errors.js';

export function keysApi(mesh: Mesh): Hono {
  return new Hono()
    .get('/', (c) => c.json({ keys: mesh.listKeys(c.req.query('network')) }))
    .post('/', async (c) => c.json(mesh.createKey(await readBody(c, CreateKeyRequestSchema)), 201))
    .delete('/:id', (c) => c.json(mesh.revokeKey(c.req.param('id'))));
}
