import type { HttpBindings } from '@hono/node-server';
import { CSRF_HEADER, ErrorCode, type SessionInfo, SessionRequestSchema } from '@rtcmesh/protocol';
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { type AuditDeps, actorOf, recordAudit } from '../audit/audit.js';
import { checkAdminToken } from '../auth/admin-token.js';
import { type ConsoleSessions, SESSION_COOKIE } from '../console/sessions.js';
import { FailureBackoff } from '../limits/failure-backoff.js';
import type { ClientAddressResolver } from '../net/client-address.js';
import { errorBody, readBody } from './errors.js';

/**
 * Console sign-in: POST /api/v1/session {token} exchanges the admin token for an HttpOnly,
 * SameSite=Strict session cookie; GET tells whether the cookie is live; DELETE signs out.
 * Failed sign-ins back off per client address: 5 free, then 1 s, 2 s, 4 s… up to 15 min, answered 429
 * with `Retry-After` before the token is even read. The token is 32 random bytes, so this is not what
 * stops guessing; it keeps a loop from flooding logs and metrics, and, being per address, lets nobody
 * lock the admin out from elsewhere (a server-wide limit did).
 */
export function sessionApi(
  deps: AuditDeps,
  sessions: ConsoleSessions,
  opts: { secureCookie: boolean; addresses: ClientAddressResolver },
): Hono<{ Bindings: HttpBindings }> {
  const failures = new FailureBackoff({ free: 5, baseMs: 1000, maxMs: 15 * 60_000 });
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
      const source = sourceOf(c) ?? 'unknown';
      const waitMs = failures.wait(source);
      if (waitMs > 0) {
        const seconds = Math.ceil(waitMs / 1000);
        deps.metrics.limited.inc({ limit: 'sign-in' });
        c.header('retry-after', String(seconds));
        return c.json(
          errorBody(
            ErrorCode.RateLimited,
            `too many failed sign-ins from this address; retry in ${seconds} s`,
          ),
          429,
        );
      }
      const { token } = await readBody(c, SessionRequestSchema);
      if (!(await checkAdminToken(deps.store, token))) {
        failures.failed(source);
        deps.metrics.rejected.inc({ reason: ErrorCode.Unauthorized });
        await recordAudit(deps, {
          actor: 'anonymous',
          action: 'session.sign-in',
          source: sourceOf(c),
          result: ErrorCode.Unauthorized,
        });
        return c.json(errorBody(ErrorCode.Unauthorized, 'wrong admin token'), 401);
      }
      failures.succeeded(source);
      const s = sessions.create();
      await recordAudit(deps, {
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
        await recordAudit(deps, {
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
