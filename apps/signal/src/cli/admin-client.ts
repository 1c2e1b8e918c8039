import { type RequestOptions, request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { adminSocketPath } from '../admin-socket.js';

export type AdminTarget =
  | { dataDir: string }
  | {
      server: string;
      adminToken: string;
      /** The only CA(s) trusted for an https:// server (PEM, `--ca-file`); default: the system's CAs. */
      ca?: Buffer;
    };

export class AdminRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The server could not be reached at all (no socket, connection refused, DNS, TLS). */
export class ServerUnreachableError extends Error {
  constructor(
    message: string,
    readonly errno: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Calls the admin API of a running server: over `<dataDir>/admin.sock` (trusted by file permissions) or
 * over HTTP(S) with the admin token.
 */
export function adminRequest<T>(
  target: AdminTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  let send: typeof request = request;
  let opts: RequestOptions;
  if ('dataDir' in target) {
    opts = { socketPath: adminSocketPath(target.dataDir), path, method, headers };
  } else {
    const url = new URL(path, target.server.endsWith('/') ? target.server : `${target.server}/`);
    headers.authorization = `Bearer ${target.adminToken}`;
    if (url.protocol === 'https:') send = httpsRequest;
    opts = {
      ...(target.ca ? { ca: target.ca } : {}),
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port,
      path: url.pathname + url.search,
      method,
      headers,
    };
  }
  return new Promise<T>((resolve, reject) => {
    const req = send(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          return reject(
            new AdminRequestError(
              res.statusCode ?? 0,
              'bad-response',
              `server answered ${res.statusCode}: ${text.slice(0, 200)}`,
            ),
          );
        }
        if ((res.statusCode ?? 500) >= 400) {
          const err = (json as { error?: { code?: string; message?: string } }).error;
          return reject(
            new AdminRequestError(res.statusCode ?? 0, err?.code ?? 'error', err?.message ?? text),
          );
        }
        resolve(json as T);
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const hint =
        'dataDir' in target && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED')
          ? ` (is "rtcmesh-signal serve --data ${target.dataDir}" running?)`
          : '';
      reject(new ServerUnreachableError(`cannot reach the server: ${err.message}${hint}`, err.code));
    });
    req.end(payload);
  });
}
