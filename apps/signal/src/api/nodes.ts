import { SignNodeKeyRequestSchema } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import type { Mesh } from '../mesh/mesh.js';
import { readBody } from './errors.js';

export function nodesApi(mesh: Mesh): Hono {
  return new Hono()
    .get('/', async (c) => c.json({ nodes: await mesh.listNodes(c.req.query('network')) }))
    .get('/:id', async (c) => c.json(await mesh.nodeSummary(await mesh.requireNode(c.req.param('id')))))
    .delete('/:id', async (c) => c.json(await mesh.removeNode(c.req.param('id'))))
    .put('/:id/key-signature', async (c) =>
      c.json(
        await mesh.signNodeKey(c.req.param('id'), (await readBody(c, SignNodeKeyRequestSchema)).signature),
      ),
    );
}
