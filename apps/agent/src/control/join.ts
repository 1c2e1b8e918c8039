import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ApiErrorSchema, type JoinRequest, type JoinResponse, JoinResponseSchema } from '@rtcmesh/protocol';
import { describeTlsError } from './tls-trust.js';

export class JoinError extends Error {
  override readonly name = 'JoinError';
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    /** The server's Retry-After (rate-limited), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export type JoinOptions = {
  timeoutMs?: number;
  /** The only CA(s) trusted for the server (PEM, `--ca-file`); default: the system's CAs. */
  ca?: Buffer;
};

const MAX_ANSWER_BYTES = 256 * 1024;

/**
 * Registers this node with a join key: `POST /api/v1/join`. Called once; later sessions use the node
 * key. The server certificate is always verified (https); a certificate problem is a non-retryable
 * `tls-certificate` error that says what is wrong.
 */
export async function joinNetwork(
  serverUrl: string,
  request: JoinRequest,
  opts: JoinOptions = {},
): Promise<JoinResponse> {
  const url = new URL('/api/v1/join', serverUrl);
  let res: { status: number; headers: IncomingMessage['headers']; text: string };
  try {
    res = await post(url, JSON.stringify(request), opts);
  } catch (err) {
    const tls = describeTlsError(err, serverUrl);
    if (tls) throw new JoinError('tls-certificate', `cannot join: ${tls}`, false);
    throw new JoinError('unreachable', `cannot reach ${url.origin}: ${(err as Error).message}`, true);
  }
  let body: unknown = null;
  try {
    body = JSON.parse(res.text);
  } catch {
    // not JSON: handled below by status
  }
  if (res.status < 200 || res.status >= 300) {
    const parsed = ApiErrorSchema.safeParse(body);
    const code = parsed.success ? parsed.data.error.code : `http-${res.status}`;
    const message = parsed.success ? parsed.data.error.message : `server answered HTTP ${res.status}`;
    if (res.status === 429) {
      const seconds = Number(res.headers['retry-after']);
      const retryAfterMs = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 600) * 1000 : 10_000;
      throw new JoinError(code, `join refused: ${message}`, true, retryAfterMs);
    }
    throw new JoinError(code, `join refused: ${message}`, res.status >= 500);
  }
  const parsed = JoinResponseSchema.safeParse(body);
  if (!parsed.success)
    throw new JoinError('bad-answer', 'server answered the join with an invalid body', true);
  return parsed.data;
}

function post(
  url: URL,
  payload: string,
  opts: JoinOptions,
): Promise<{ status: number; headers: IncomingMessage['headers']; text: string }> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        timeout: opts.timeoutMs ?? 15_000,
        ...(opts.ca ? { ca: opts.ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) req.destroy(new Error('answer too large'));
          else chunks.push(c);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}
