import {
  CreateNetworkRequestSchema,
  SetL2SettingsRequestSchema,
  SetLockRequestSchema,
} from '@rtcmesh/protocol';
import { Hono } from 'hono';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { readBody } from './errors.js';

export function networksApi(controlPlane: ControlPlane): Hono {
  return new Hono()
    .get('/', async (c) => c.json({ networks: await controlPlane.listNetworks() }))
    .post('/', async (c) =>
      c.json(await controlPlane.createNetwork(await readBody(c, CreateNetworkRequestSchema)), 201),
    )
    .get('/:id', async (c) =>
      c.json(await controlPlane.networkSummary(await controlPlane.requireNetwork(c.req.param('id')))),
    )
    .delete('/:id', async (c) =>
      c.json(await controlPlane.deleteNetwork(c.req.param('id'), c.req.query('force') === 'true')),
    )
    .put('/:id/l2', async (c) =>
      c.json(
        await controlPlane.setL2Settings(c.req.param('id'), await readBody(c, SetL2SettingsRequestSchema)),
      ),
    )
    .put('/:id/lock', async (c) => {
      const body = await readBody(c, SetLockRequestSchema);
      return c.json(await controlPlane.setLock(c.req.param('id'), body.keys, body.disablement));
    });
}
