import type { MiddlewareHandler } from 'hono';
import type { AdminEnv } from '../console/admin-auth.js';
import type { ClientAddressResolver } from '../net/client-address.js';
import type { AuditDeps } from './audit.js';
import { recordAudit } from './audit.js';

type Route = {
  method: string;
  /** Matched against the path after /api/v1; group 1, when present, is the target. */
  path: RegExp;
  action: string;
  /** Target from the JSON answer when the path has none (the id of what was created). */
  fromAnswer?: (body: Record<string, unknown>) => unknown;
};

const ROUTES: Route[] = [
  { method: 'POST', path: /^\/networks\/?$/, action: 'network.create', fromAnswer: (b) => b.name },
  {
    method: 'POST',
    path: /^\/keys\/?$/,
    action: 'key.create',
    fromAnswer: (b) => (b.info as { id?: unknown } | undefined)?.id,
  },
  { method: 'DELETE', path: /^\/keys\/([^/]+)$/, action: 'key.revoke' },
  { method: 'DELETE', path: /^\/nodes\/([^/]+)$/, action: 'node.remove' },
  {
    method: 'POST',
    path: /^\/nodes\/([^/]+)\/browser-sessions\/?$/,
    action: 'browser-session.open',
    fromAnswer: (b) => `${String(b.node)} ${String(b.target)}`,
  },
  { method: 'PUT', path: /^\/networks\/([^/]+)\/lock\/?$/, action: 'network.lock' },
  { method: 'PUT', path: /^\/nodes\/([^/]+)\/key-signature\/?$/, action: 'node.sign-key' },
  {
    method: 'PUT',
    path: /^\/networks\/([^/]+)\/policy\/?$/,
    action: 'policy.set',
    // "net-x v7": which network, and the version the change created.
    fromAnswer: (b) =>
      `${String(b.networkId)} v${String((b.policy as { version?: unknown } | undefined)?.version)}`,
  },
  { method: 'PUT', path: /^\/nodes\/([^/]+)\/tags\/?$/, action: 'node.tags' },
  { method: 'POST', path: /^\/nodes\/([^/]+)\/browser-link\/?$/, action: 'node.browser-link' },
  { method: 'POST', path: /^\/admin\/rotate-token\/?$/, action: 'admin.rotate-token' },
];

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Writes every state-changing admin request (after authentication) to the audit log: who (adminActor),
 * what (a named action; unknown routes are logged as "METHOD /path"), the target, the client address
 * and the result ('ok' or the error code answered). Reads are not logged.
 */
export function auditMiddleware(
  deps: AuditDeps,
  addresses: ClientAddressResolver,
): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    if (READS.has(c.req.method)) return next();
    await next();
    const sub = c.req.path.replace(/^\/api\/v1/, '');
    const route = ROUTES.find((r) => r.method === c.req.method && r.path.test(sub));
    let target: string | null = null;
    const m = route?.path.exec(sub);
    if (m?.[1]) target = safeDecode(m[1]);
    const ok = c.res.status < 400;
    let result = 'ok';
    if (!ok || route?.fromAnswer) {
      const body = await c.res
        .clone()
        .json()
        .catch(() => null);
      if (!ok) {
        const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
        result = typeof code === 'string' ? code : `http-${c.res.status}`;
      } else if (route?.fromAnswer && body && typeof body === 'object') {
        const t = route.fromAnswer(body as Record<string, unknown>);
        if (typeof t === 'string') target = t;
      }
    }
    const incoming = c.env?.incoming;
    await recordAudit(deps, {
      actor: c.get('adminActor') ?? 'unknown',
      action: route?.action ?? `${c.req.method} ${sub}`,
      target,
      source:
        c.get('adminVia') === 'trusted'
          ? null
          : addresses.resolve(incoming?.socket?.remoteAddress, incoming?.headers['x-forwarded-for']),
      result,
    });
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
