import type { HttpBindings } from '@hono/node-server';
import { CSRF_HEADER, ErrorCode, type SessionInfo, SessionRequestSchema } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { checkAdminToken } from '../auth/admin-token.js';
import { type ConsoleSessions, SESSION_COOKIE } from '../console/sessions.js';
import type { Mesh } from '../mesh/mesh.js';
import { TokenBucket } from '../ws/rate-limit.js';
import { errorBody, readBody } from './errors.js';

/**
 * Console sign-in: POST /api/v1/session {token} exchanges the admin token for an HttpOnly,
 * SameSite=Strict session cookie; GET tells whether the cookie is live; DELETE signs out.
 * Sign-in attempts are rate-limited server-wide (5/s, burst 20), checked before the token: the token
 * is 32 random bytes, so this is not what stops guessing; it keeps a loop from flooding logs and metrics.
 */
export function sessionApi(
  mesh: Mesh,
  sessions: ConsoleSessions,
  opts: { secureCookie: boolean },
): Hono<{ Bindings: HttpBindings }> {
  const attempts = new TokenBucket(5, 20);
  return new Hono<{ Bindings: HttpBindings }>()
    .get('/', (c) => {
      const expiresAt = sessions.check(getCookie(c, SESSION_COOKIE));
      const info: SessionInfo = { signedIn: expiresAt !== null, expiresAt };
      c.header('cache-control', 'no-store');
      return c.json(info);
    })
    .post('/', async (c) => {
      // Login CSRF: another site must not be able to sign a browser into this console either.
      if (c.req.header(CSRF_HEADER) !== '1')
        return c.json(errorBody(ErrorCode.Forbidden, `missing ${CSRF_HEADER} header`), 403);
      if (!attempts.take())
        return c.json(errorBody(ErrorCode.RateLimited, 'too many sign-in attempts; wait a moment'), 429);
      const { token } = await readBody(c, SessionRequestSchema);
      if (!checkAdminToken(mesh.deps.store, token)) {
        mesh.deps.metrics.rejected.inc({ reason: ErrorCode.Unauthorized });
        return c.json(errorBody(ErrorCode.Unauthorized, 'wrong admin token'), 401);
      }
      const s = sessions.create();
      setCookie(c, SESSION_COOKIE, s.id, {
        httpOnly: true,
        sameSite: 'Strict',
        secure: opts.secureCookie || c.req.header('x-forwarded-proto') === 'https',
        path: '/',
        maxAge: Math.floor((s.expiresAt - Date.now()) / 1000),
      });
      const info: SessionInfo = { signedIn: true, expiresAt: s.expiresAt };
      return c.json(info);
    })
    .delete('/', (c) => {
      if (c.req.header(CSRF_HEADER) !== '1')
        return c.json(errorBody(ErrorCode.Forbidden, `missing ${CSRF_HEADER} header`), 403);
      sessions.revoke(getCookie(c, SESSION_COOKIE));
      deleteCookie(c, SESSION_COOKIE, { path: '/' });
      const info: SessionInfo = { signedIn: false, expiresAt: null };
      return c.json(info);
    });
}
