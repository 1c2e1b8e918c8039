import { PolicySignatureRequestSchema, SetTagsRequestSchema } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import type { ControlPlaneContext } from '../control-plane/context.js';
import {
  getNetworkPolicy,
  PolicyInvalidError,
  putNetworkPolicy,
  setNodeTags,
  signNetworkPolicy,
} from '../policy/network-policy.js';
import { errorBody, readBody } from './errors.js';

/**
 * GET/PUT /api/v1/networks/:id/policy (mounted with the network id in the path), and
 * PUT …/policy/signature: an operator's signature of the stored policy (locked networks).
 */
export function policyApi(ctx: ControlPlaneContext): Hono {
  return new Hono()
    .get('/', async (c) => c.json(await getNetworkPolicy(ctx, c.req.param('id') ?? '')))
    .put('/signature', async (c) =>
      c.json(
        await signNetworkPolicy(
          ctx,
          c.req.param('id') ?? '',
          await readBody(c, PolicySignatureRequestSchema),
        ),
      ),
    )
    .put('/', async (c) => {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        return c.json(
          {
            ...errorBody('bad-json', 'body is not valid JSON'),
            issues: [{ path: '(root)', message: 'not valid JSON' }],
          },
          400,
        );
      }
      try {
        return c.json(await putNetworkPolicy(ctx, c.req.param('id') ?? '', body));
      } catch (err) {
        // The editor shows every issue next to the JSON: answer them all, not only the summary.
        if (err instanceof PolicyInvalidError)
          return c.json({ ...errorBody(err.code, err.message), issues: err.issues }, 400);
        throw err;
      }
    });
}

/** PUT /api/v1/nodes/:id/tags */
export function tagsApi(ctx: ControlPlaneContext): Hono {
  return new Hono().put('/', async (c) =>
    c.json(
      await setNodeTags(
        ctx,
        c.req.param('id') ?? '',
        (await readBody(c, SetTagsRequestSchema)).tags,
        c.req.query('network'),
      ),
    ),
  );
}
