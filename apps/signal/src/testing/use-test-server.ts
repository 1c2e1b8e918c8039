import { afterEach, beforeEach } from 'vitest';
import type { SignalServerOptions } from '../options.js';
import type { SignalServer } from '../server.js';
import { startTestServer, type TestClient, tempDir } from './test-client.js';

export type TempDir = ReturnType<typeof tempDir>;

/**
 * The signal tests' server fixture: before each test a fresh server in a temp dir (`started` keeps it
 * and may prepare it: a network, a key); after it, every client in the returned list is closed, then
 * the server, and the dir is removed.
 */
export function useTestServer(
  started: (server: SignalServer, dir: TempDir) => void | Promise<void>,
  options: Partial<SignalServerOptions> = {},
): TestClient[] {
  const clients: TestClient[] = [];
  let current: { server: SignalServer; dir: TempDir } | undefined;
  beforeEach(async () => {
    const dir = tempDir();
    const server = await startTestServer(dir.path, options);
    current = { server, dir };
    await started(server, dir);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await current?.server.close();
    current?.dir.remove();
    current = undefined;
  });
  return clients;
}

/**
 * For tests that each start their own server with their own options: `start(extra)` starts it in a
 * fresh temp dir; after the test, every client in `clients` is closed, then the server, and the dir
 * is removed.
 */
export function useServerPerTest(): {
  start(extra?: Partial<SignalServerOptions>): Promise<SignalServer>;
  clients: TestClient[];
} {
  const clients: TestClient[] = [];
  let current: { server?: SignalServer; dir: TempDir } | undefined;
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await current?.server?.close();
    current?.dir.remove();
    current = undefined;
  });
  return {
    clients,
    async start(extra = {}) {
      const dir = tempDir();
      current = { dir };
      current.server = await startTestServer(dir.path, extra);
      return current.server;
    },
  };
}
