import { RenameNodeRequestSchema, SignNodeKeyRequestSchema } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import type { ControlPlaneContext } from '../control-plane/context.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { renameNode } from '../control-plane/rename.js';
import { readBody } from './errors.js';

export function nodesApi(controlPlane: ControlPlane, ctx: ControlPlaneContext): Hono {
  return (
    new Hono()
      .get('/', async (c) => c.json({ nodes: await controlPlane.listNodes(c.req.query('network')) }))
      // `:id` is a node id or a name; `?network=` picks the network a name is looked up in.
      .get('/:id', async (c) =>
        c.json(
          await controlPlane.nodeSummary(
            await controlPlane.requireNode(c.req.param('id'), c.req.query('network')),
          ),
        ),
      )
      .delete('/:id', async (c) =>
        c.json(await controlPlane.removeNode(c.req.param('id'), c.req.query('network'))),
      )
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
          await controlPlane.signNodeKey(
            c.req.param('id'),
            (await readBody(c, SignNodeKeyRequestSchema)).signature,
            c.req.query('network'),
          ),
        ),
      )
  );
}
