import { request } from 'node:http';
import type { z } from 'zod';
import {
  type AgentStatus,
  agentStatusSchema,
  errorBodySchema,
  type NetcheckReport,
  netcheckReportSchema,
  type PingReply,
  pingReplySchema,
  type RekeyReply,
  rekeyReplySchema,
  type SetRequest,
  type Settings,
  settingsSchema,
} from './schema.js';

export class LocalApiClientError extends Error {
  override readonly name = 'LocalApiClientError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Talks to a running agent over its unix socket. */
export class LocalApiClient {
  constructor(
    private readonly socketPath: string,
    private readonly timeoutMs = 10_000,
  ) {}

  status(): Promise<AgentStatus> {
    return this.call('GET', '/v1/status', undefined, agentStatusSchema);
  }
  ping(peer: string): Promise<PingReply> {
    return this.call('POST', '/v1/ping', { peer }, pingReplySchema);
  }
  netcheck(): Promise<NetcheckReport> {
    return this.call('POST', '/v1/netcheck', {}, netcheckReportSchema, 30_000);
  }

  set(req: SetRequest): Promise<Settings> {
    return this.call('POST', '/v1/set', req, settingsSchema, 20_000);
  }
  rekey(): Promise<RekeyReply> {
    return this.call('POST', '/v1/rekey', {}, rekeyReplySchema, 20_000);
  }
  async down(): Promise<void> {
    await this.call('POST', '/v1/down', {}, undefined);
  }

  private call<T>(
    method: string,
    path: string,
    body: unknown,
    schema: z.ZodType<T> | undefined,
    timeoutMs = this.timeoutMs,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path,
          headers: payload ? { 'content-type': 'application/json' } : {},
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > 16 * 1024 * 1024) {
              req.destroy(new LocalApiClientError('too-large', 'agent answer over 16 MiB'));
              return;
            }
            chunks.push(chunk);
          });
          res.on('end', () => {
            let json: unknown;
            try {
              json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              reject(new LocalApiClientError('bad-answer', `agent answered ${path} with invalid JSON`));
              return;
            }
            if ((res.statusCode ?? 500) >= 400) {
              const err = errorBodySchema.safeParse(json);
              reject(
                err.success
                  ? new LocalApiClientError(err.data.error.code, err.data.error.message)
                  : new LocalApiClientError('http', `agent answered HTTP ${res.statusCode}`),
              );
              return;
            }
            if (!schema) {
              resolve(undefined as T);
              return;
            }
            const parsed = schema.safeParse(json);
            if (!parsed.success) {
              reject(
                new LocalApiClientError('bad-answer', `agent answer to ${path} does not match the schema`),
              );
              return;
            }
            resolve(parsed.data);
          });
        },
      );
      req.on('timeout', () =>
        req.destroy(new LocalApiClientError('timeout', `no answer from agent in ${timeoutMs} ms`)),
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof LocalApiClientError) reject(err);
        else if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED')
          reject(
            new LocalApiClientError(
              'not-running',
              `no agent is running with this state directory (${this.socketPath}); start one with \`rtcmesh up\``,
            ),
          );
        else if (err.code === 'EACCES')
          reject(
            new LocalApiClientError('permission', `permission denied on ${this.socketPath}: run as root`),
          );
        else reject(new LocalApiClientError('io', err.message));
      });
      if (payload) req.write(payload);
      req.end();
    });
  }
}
