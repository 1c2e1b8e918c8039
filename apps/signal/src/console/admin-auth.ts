import type { HttpBindings } from '@hono/node-server';
import { CSRF_HEADER, ErrorCode } from '@rtcmesh/protocol';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { errorBody } from '../api/errors.js';
import { actorOf, LOCAL_SOCKET_ACTOR } from '../audit/audit.js';
import { checkAdminToken } from '../auth/admin-token.js';
import type { ControlPlaneDeps } from '../control-plane/control-plane.js';
import { type ConsoleSessions, SESSION_COOKIE } from './sessions.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** How a request proved it is an admin (the console's browser-link endpoint only serves people). */
export type AdminVia = 'trusted' | 'bearer' | 'session';

/** What the admin routes see: how the caller authenticated and how the audit log names it. */
export type AdminEnv = { Bindings: HttpBindings; Variables: { adminVia: AdminVia; adminActor: string } };

export function bearerToken(c: Context): string {
  // The scheme is case-insensitive (RFC 9110 §11.1): `bearer` and `BEARER` are the same.
  const m = /^bearer[ \t]+(.*)$/i.exec(c.req.header('authorization') ?? '');
  return m ? m[1]!.trim() : '';
}

/**
 * Admin authentication for /api/v1: the CLI's `Authorization: Bearer <admin token>` (unchanged), or
 * the console's session cookie. With the cookie, a state-changing request must also carry the
 * `x-rtcmesh-csrf` header: a cross-site form cannot set custom headers and a cross-site fetch that
 * sets one needs a CORS preflight this server never grants; SameSite=Strict is the first line.
 */
export function adminAuth(
  deps: Pick<ControlPlaneDeps, 'store' | 'metrics'>,
  sessions: ConsoleSessions,
  trusted: boolean,
): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    if (trusted) {
      c.set('adminVia', 'trusted');
      c.set('adminActor', LOCAL_SOCKET_ACTOR);
      return next();
    }
    const token = bearerToken(c);
    const sessionId = getCookie(c, SESSION_COOKIE);
    if (token) {
      if (await checkAdminToken(deps.store, token)) {
        c.set('adminVia', 'bearer');
        c.set('adminActor', actorOf('token', token));
        return next();
      }
    } else if (sessionId !== undefined && sessions.check(sessionId) !== null) {
      if (!SAFE_METHODS.has(c.req.method) && c.req.header(CSRF_HEADER) !== '1') {
        deps.metrics.rejected.inc({ reason: ErrorCode.Forbidden });
        return c.json(errorBody(ErrorCode.Forbidden, `missing ${CSRF_HEADER} header`), 403);
      }
      c.set('adminVia', 'session');
      c.set('adminActor', actorOf('session', sessionId));
      return next();
    }
    deps.metrics.rejected.inc({ reason: ErrorCode.Unauthorized });
    return c.json(
      errorBody(ErrorCode.Unauthorized, 'admin token required (Authorization: Bearer <token>)'),
      401,
    );
  };
}
