import type { AuditEntry } from '@rtcmesh/protocol';
import { hashSecret } from '../auth/secrets.js';
import type { ControlPlaneDeps } from '../control-plane/control-plane.js';

/** What the audit log writes to: the store, its counter, the log and the console feed. */
export type AuditDeps = Pick<ControlPlaneDeps, 'store' | 'metrics' | 'log' | 'cluster'>;

/** The actor on the admin unix socket (trusted by its 0600 file mode, so there is no secret to name). */
export const LOCAL_SOCKET_ACTOR = 'local socket';

/**
 * How an audit entry names who acted: the first 8 hex digits of the SHA-256 of the secret used (admin
 * token or console session id). That tells tokens and sessions apart (and a rotated token from the old
 * one) without the log ever holding something that could be replayed.
 */
export function actorOf(kind: 'token' | 'session', secret: string): string {
  return `${kind}:${hashSecret(secret).slice(0, 8)}`;
}

export type AuditInput = {
  actor: string;
  action: string;
  target?: string | null;
  source?: string | null;
  /** 'ok' or the error code the request was answered with. */
  result?: string;
};

/**
 * Records an admin action: stored first (database, capped), then published on the live feed as an
 * `audit` event and counted. A failure to store never fails the action itself (it is logged).
 */
export async function recordAudit(deps: AuditDeps, input: AuditInput): Promise<AuditEntry | null> {
  const { store, metrics, log } = deps;
  const result = input.result ?? 'ok';
  try {
    const entry = await store.audit.append({
      at: Date.now(),
      actor: input.actor.slice(0, 64),
      action: input.action.slice(0, 128),
      target: input.target?.slice(0, 256) ?? null,
      source: input.source?.slice(0, 64) ?? null,
      result: result.slice(0, 64),
    });
    metrics.audited.inc({ result: result === 'ok' ? 'ok' : 'refused' });
    deps.cluster.publishFeed({ kind: 'audit', entry });
    log.info({ audit: entry }, 'admin action');
    return entry;
  } catch (err) {
    log.error({ err, action: input.action }, 'writing the audit log failed');
    return null;
  }
}
