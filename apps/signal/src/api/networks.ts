import { CreateNetworkRequestSchema, SetLockRequestSchema } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import type { Mesh } from '../mesh/mesh.js';
import { readBody } from './errors.js';

export function networksApi(mesh: Mesh): Hono {
  return new Hono()
    .get('/', (c) => c.json({ networks: mesh.listNetworks() }))
    .post('/', async (c) => c.json(mesh.createNetwork(await readBody(c, CreateNetworkRequestSchema)), 201))
    .get('/:id', (c) => c.json(mesh.networkSummary(mesh.requireNetwork(c.req.param('id')))))
    .put('/:id/lock', async (c) =>
      c.json(mesh.setLock(c.req.param('id'), (await readBody(c, SetLockRequestSchema)).keys)),
    );
}
