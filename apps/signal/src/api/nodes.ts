import { SignNodeKeyRequestSchema } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import type { Mesh } from '../mesh/mesh.js';
import { readBody } from './errors.js';

export function nodesApi(mesh: Mesh): Hono {
  return new Hono()
    .get('/', (c) => c.json({ nodes: mesh.listNodes(c.req.query('network')) }))
    .get('/:id', (c) => c.json(mesh.nodeSummary(mesh.requireNode(c.req.param('id')))))
    .delete('/:id', (c) => c.json(mesh.removeNode(c.req.param('id'))))
    .put('/:id/key-signature', async (c) =>
      c.json(mesh.signNodeKey(c.req.param('id'), (await readBody(c, SignNodeKeyRequestSchema)).signature)),
    );
}
