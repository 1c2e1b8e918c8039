import { CloseCode } from '@rtcmesh/protocol';

/**
 * The server's limits answer the upgrade with an HTTP status (ws reports it as this message): 429
 * for the per-address limits, 503 when the whole server is at `--max-connections`. Either way the
 * client retries with backoff.
 */
export function describeRefusal(err: Error): string | null {
  if (/Unexpected server response: 429/.test(err.message))
    return 'the server refused the connection: too many connections from this address (per-address limit)';
  if (/Unexpected server response: 503/.test(err.message))
    return 'the server refused the connection: it is at its connection limit (--max-connections); retrying';
  return null;
}

/** What a close of the control socket means for the client. */
export type SessionEnd =
  /** This node was removed by an admin: the client stops for good. */
  | { kind: 'removed'; reason: string }
  /** A permanent refusal: the client stops for good. */
  | { kind: 'fatal'; error: Error }
  /** The instance shuts down: another instance, if there is one. */
  | { kind: 'elsewhere' }
  | { kind: 'reconnect' };

export function sessionEnd(code: number, reason: string): SessionEnd {
  if (code === CloseCode.NodeRemoved)
    return { kind: 'removed', reason: reason || 'node removed by an admin' };
  if (code === CloseCode.SessionReplaced) {
    // Another process authenticated as this node (a copied state directory?): two agents with one
    // identity would evict each other forever, so this one gives up.
    return {
      kind: 'fatal',
      error: new Error('another agent connected with this node identity; is the state directory shared?'),
    };
  }
  if (code === CloseCode.UnsupportedVersion)
    return { kind: 'fatal', error: new Error(`server speaks no protocol version we speak: ${reason}`) };
  if (code === CloseCode.ReconnectElsewhere) return { kind: 'elsewhere' };
  return { kind: 'reconnect' };
}

/**
 * The error a close leaves to report, or null to keep the one before: before `open` the error event
 * already said what went wrong (TLS, refused, 429), and a normal close is no error.
 */
export function closeErrorText(code: number, reason: string, opened: boolean): string | null {
  if (!opened || code === 1000 || code === 1005) return null;
  return `closed ${code}${reason ? `: ${reason}` : ''}`;
}
