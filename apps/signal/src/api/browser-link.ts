import type { HttpBindings } from '@hono/node-server';
import { BrowserLinkRequestSchema, type BrowserLinkResponse, ErrorCode } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { BrowserLinkRelay } from '../browser-peer/relay.js';
import type { AdminVia } from '../console/admin-auth.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { errorBody, readBody } from './errors.js';

/**
 * POST /api/v1/nodes/:id/browser-link {sdp} → {linkId, sdp}: the console's browser offers a data
 * channel to the agent; the answer comes back in the response (both sides send complete SDPs, no
 * trickle). Only for people signed in to the console (session cookie + CSRF header), never for the
 * CLI's bearer token: a script has no browser to test from.
 */
export function browserLinkApi(
  controlPlane: ControlPlane,
  log: Logger,
  relay: BrowserLinkRelay,
): Hono<{ Bindings: HttpBindings; Variables: { adminVia: AdminVia } }> {
  return new Hono<{ Bindings: HttpBindings; Variables: { adminVia: AdminVia } }>().post('/', async (c) => {
    if (c.get('adminVia') !== 'session')
      return c.json(errorBody(ErrorCode.Forbidden, 'browser links need a console session (sign in)'), 403);
    const id = c.req.param('id') ?? '';
    const node = await controlPlane.requireNode(id);
    const { sdp } = await readBody(c, BrowserLinkRequestSchema);
    const res: BrowserLinkResponse = await relay.open(node.id, sdp);
    log.info({ node: node.id, linkId: res.linkId }, 'browser link answered');
    return c.json(res);
  });
}
