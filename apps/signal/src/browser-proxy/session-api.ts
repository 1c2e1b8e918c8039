import type { HttpBindings } from '@hono/node-server';
import { BrowserSessionRequestSchema, type BrowserSessionResponse } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import { readBody } from '../api/errors.js';
import type { AdminVia } from '../console/admin-auth.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { sessionUrl } from './proxy-origin.js';
import type { BrowserSessions } from './sessions.js';

/** The one admin of the console, as the policy names it: a rule with `src: ["browser:admin"]`. */
export const ADMIN_BROWSER_PRINCIPAL = 'browser:admin';

export interface SessionApiOptions {
  sessions: BrowserSessions;
  /** The proxy origin's public base URL; absent: this request's host name on `port`, same scheme. */
  publicUrl?: string;
  /** The proxy origin's bound port. */
  port: () => number;
  log: Logger;
}

/**
 * POST /api/v1/nodes/:id/browser-sessions {target} → {sessionId, node, target, url, expiresAt}:
 * "Open in browser". The url, on the proxy origin, is the capability: whoever opens it acts as
 * `browser:admin` toward that node and target, as far as the network's policy lets that principal.
 * Audited (audit-middleware: `browser-session.open`, node and target).
 */
export function browserSessionApi(
  controlPlane: ControlPlane,
  opts: SessionApiOptions,
): Hono<{ Bindings: HttpBindings; Variables: { adminVia: AdminVia } }> {
  return new Hono<{ Bindings: HttpBindings; Variables: { adminVia: AdminVia } }>().post('/', async (c) => {
    const node = await controlPlane.requireNode(c.req.param('id') ?? '');
    const { target } = await readBody(c, BrowserSessionRequestSchema);
    const rec = opts.sessions.mint({ id: node.id, name: node.name }, target, ADMIN_BROWSER_PRINCIPAL);
    const base = opts.publicUrl ?? derivedBase(c.req.url, opts.port());
    opts.log.info({ node: node.id, target, session: rec.sessionId.slice(0, 10) }, 'browser session minted');
    const res: BrowserSessionResponse = {
      sessionId: rec.sessionId,
      node: node.name,
      target,
      url: sessionUrl(base, rec.sessionId),
      expiresAt: rec.expiresAt,
    };
    return c.json(res, 201);
  });
}

/** The proxy origin as the browser that asked reaches this server: its host name, the proxy port. */
function derivedBase(requestUrl: string, port: number): string {
  const u = new URL(requestUrl);
  u.port = String(port);
  return `${u.protocol}//${u.host}`;
}
