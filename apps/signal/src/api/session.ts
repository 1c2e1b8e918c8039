import type { HttpBindings } from '@hono/node-server';
import { CSRF_HEADER, ErrorCode, type SessionInfo, SessionRequestSchema } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { actorOf, recordAudit } from '../audit/audit.js';
import { checkAdminToken } from '../auth/admin-token.js';
import { type ConsoleSessions, SESSION_COOKIE } from '../console/sessions.js';
import type { Mesh } from '../mesh/mesh.js';
import type { ClientAddressResolver } from '../net/client-address.js';
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
  opts: { secureCookie: boolean; addresses: ClientAddressResolver },
): Hono<{ Bindings: HttpBindings }> {
  const attempts = new TokenBucket(5, 20);
  const sourceOf = (c: { env: HttpBindings | undefined }): string | null =>
    opts.addresses.resolve(
      c.env?.incoming?.socket?.remoteAddress,
      c.env?.incoming?.headers['x-forwarded-for'],
    );
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
      if (!attempts.take()) {
        mesh.deps.metrics.limited.inc({ limit: 'sign-in' });
        return c.json(errorBody(ErrorCode.RateLimited, 'too many sign-in attempts; wait a moment'), 429);
      }
      const { token } = await readBody(c, SessionRequestSchema);
      if (!(await checkAdminToken(mesh.deps.store, token))) {
        mesh.deps.metrics.rejected.inc({ reason: ErrorCode.Unauthorized });
        await recordAudit(mesh, {
          actor: 'anonymous',
          action: 'session.sign-in',
          source: sourceOf(c),
          result: ErrorCode.Unauthorized,
        });
        return c.json(errorBody(ErrorCode.Unauthorized, 'wrong admin token'), 401);
      }
      const s = sessions.create();
      await recordAudit(mesh, {
        actor: actorOf('token', token),
        action: 'session.sign-in',
        target: actorOf('session', s.id),
        source: sourceOf(c),
      });
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
    .delete('/', async (c) => {
      if (c.req.header(CSRF_HEADER) !== '1')
        return c.json(errorBody(ErrorCode.Forbidden, `missing ${CSRF_HEADER} header`), 403);
      const id = getCookie(c, SESSION_COOKIE);
      if (id !== undefined && sessions.check(id) !== null)
        await recordAudit(mesh, {
          actor: actorOf('session', id),
          action: 'session.sign-out',
          source: sourceOf(c),
        });
      sessions.revoke(id);
      deleteCookie(c, SESSION_COOKIE, { path: '/' });
      const info: SessionInfo = { signedIn: false, expiresAt: null };
      return c.json(info);
    });
}
