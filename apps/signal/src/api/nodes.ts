import { Hono } from 'hono';
import type { Mesh } from '../mesh/mesh.js';

export function nodesApi(mesh: Mesh): Hono {
  return new Hono()
    .get('/', (c) => c.json({ nodes: mesh.listNodes(c.req.query('network')) }))
    .get('/:id', (c) => c.json(mesh.nodeSummary(mesh.requireNode(c.req.param('id')))))
    .delete('/:id', (c) => c.json(mesh.removeNode(c.req.param('id'))));
}
