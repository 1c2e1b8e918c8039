import { RenameNodeRequestSchema, SignNodeKeyRequestSchema } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import type { Mesh } from '../mesh/mesh.js';
import type { MeshContext } from '../mesh/mesh-context.js';
import { renameNode } from '../mesh/rename.js';
import { readBody } from './errors.js';

export function nodesApi(mesh: Mesh, ctx: MeshContext): Hono {
  return (
    new Hono()
      .get('/', async (c) => c.json({ nodes: await mesh.listNodes(c.req.query('network')) }))
      // `:id` is a node id or a name; `?network=` picks the network a name is looked up in.
      .get('/:id', async (c) =>
        c.json(await mesh.nodeSummary(await mesh.requireNode(c.req.param('id'), c.req.query('network')))),
      )
      .delete('/:id', async (c) => c.json(await mesh.removeNode(c.req.param('id'), c.req.query('network'))))
      .put('/:id/name', async (c) =>
        c.json(
          await renameNode(
            ctx,
            c.req.param('id'),
            (await readBody(c, RenameNodeRequestSchema)).name,
            c.req.query('network'),
          ),
        ),
      )
      .put('/:id/key-signature', async (c) =>
        c.json(
          await mesh.signNodeKey(
            c.req.param('id'),
            (await readBody(c, SignNodeKeyRequestSchema)).signature,
            c.req.query('network'),
          ),
        ),
      )
  );
}
