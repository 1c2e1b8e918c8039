import { ApiErrorSchema, type JoinRequest, type JoinResponse, JoinResponseSchema } from '@rtcmesh/protocol';

export class JoinError extends Error {
  override readonly name = 'JoinError';
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Registers this node with a join key: `POST /api/v1/join`. Called once; later sessions use the node key. */
export async function joinNetwork(
  serverUrl: string,
  request: JoinRequest,
  timeoutMs = 15_000,
): Promise<JoinResponse> {
  const url = new URL('/api/v1/join', serverUrl);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new JoinError('unreachable', `cannot reach ${url.origin}: ${describe(err)}`, true);
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const parsed = ApiErrorSchema.safeParse(body);
    const code = parsed.success ? parsed.data.error.code : `http-${res.status}`;
    const message = parsed.success ? parsed.data.error.message : `server answered HTTP ${res.status}`;
    throw new JoinError(code, `join refused: ${message}`, res.status >= 500);
  }
  const parsed = JoinResponseSchema.safeParse(body);
  if (!parsed.success)
    throw new JoinError('bad-answer', 'server answered the join with an invalid body', true);
  return parsed.data;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : err.message;
  }
  return String(err);
}
