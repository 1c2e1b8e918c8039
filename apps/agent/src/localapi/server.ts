import { chmod, unlink } from 'node:fs/promises';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { type AgentControl, LocalApiError, pingRequestSchema, setRequestSchema } from './schema.js';

/**
 * The agent's local API: HTTP over a unix socket in the state directory (mode 0600, so only the
 * agent's user can drive it). One socket per agent lets several agents share a machine.
 */
export function createLocalApi(control: AgentControl): Hono {
  const app = new Hono();
  app.onError((err, c) => {
    if (err instanceof LocalApiError) {
      const status = err.code === 'unknown-peer' ? 404 : err.code === 'bad-request' ? 400 : 409;
      return c.json({ error: { code: err.code, message: err.message } }, status);
    }
    return c.json({ error: { code: 'internal', message: err.message } }, 500);
  });
  app.get('/v1/status', (c) => c.json(control.status()));
  app.post('/v1/ping', async (c) => {
    const body = pingRequestSchema.safeParse(await c.req.json().catch(() => null));
    if (!body.success) throw new LocalApiError('bad-request', 'expected {"peer": "<name or id>"}');
    return c.json(await control.ping(body.data.peer));
  });
  app.post('/v1/netcheck', async (c) => c.json(await control.netcheck()));
  app.post('/v1/rekey', async (c) => c.json(await control.rekey()));
  app.post('/v1/set', async (c) => {
    const body = setRequestSchema.safeParse(await c.req.json().catch(() => null));
    if (!body.success)
      throw new LocalApiError(
        'bad-request',
        `invalid settings: ${body.error.issues[0]?.message ?? 'schema'}`,
      );
    return c.json(await control.set(body.data));
  });
  app.post('/v1/down', (c) => {
    // Answer first, then shut down: the CLI waits for the socket to go away.
    setImmediate(() => void control.down());
    return c.json({ ok: true });
  });
  app.notFound((c) => c.json({ error: { code: 'not-found', message: 'no such endpoint' } }, 404));
  return app;
}

export class LocalApiServer {
  private server: Server | undefined;

  constructor(
    private readonly socketPath: string,
    private readonly control: AgentControl,
  ) {}

  async listen(): Promise<void> {
    await removeStaleSocket(this.socketPath);
    const app = createLocalApi(this.control);
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await chmod(this.socketPath, 0o600);
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await unlink(this.socketPath).catch(() => undefined);
  }
}

/** A socket left by a crashed agent is removed; a live one means another agent owns this state dir. */
async function removeStaleSocket(path: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const sock = connect(path);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
  if (alive) {
    throw new Error(`another rtcmesh agent is running with this state directory (socket ${path} answers)`);
  }
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
