import {
  CreateNetworkRequestSchema,
  SetL2SettingsRequestSchema,
  SetLockRequestSchema,
} from '@rtcmesh/protocol';
import { Hono } from 'hono';
import type { Mesh } from '../mesh/mesh.js';
import { readBody } from './errors.js';

export function networksApi(mesh: Mesh): Hono {
  return new Hono()
    .get('/', async (c) => c.json({ networks: await mesh.listNetworks() }))
    .post('/', async (c) =>
      c.json(await mesh.createNetwork(await readBody(c, CreateNetworkRequestSchema)), 201),
    )
    .get('/:id', async (c) => c.json(await mesh.networkSummary(await mesh.requireNetwork(c.req.param('id')))))
    .delete('/:id', async (c) =>
      c.json(await mesh.deleteNetwork(c.req.param('id'), c.req.query('force') === 'true')),
    )
    .put('/:id/l2', async (c) =>
      c.json(await mesh.setL2Settings(c.req.param('id'), await readBody(c, SetL2SettingsRequestSchema))),
    )
    .put('/:id/lock', async (c) => {
      const body = await readBody(c, SetLockRequestSchema);
      return c.json(await mesh.setLock(c.req.param('id'), body.keys, body.disablement));
    });
}
