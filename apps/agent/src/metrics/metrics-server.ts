import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { AgentMetrics } from './agent-metrics.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * `--metrics-listen`: `127.0.0.1:9101`, `[::1]:9101`, `10.99.0.5:9101` (an overlay address: scraped
 * over the mesh), `0.0.0.0:9101` (everywhere: the metrics name the node's peers, mind who reaches it).
 */
export function parseListenAddress(value: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(value.trim());
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`--metrics-listen ${value}: expected host:port, e.g. 127.0.0.1:9101 or [::1]:9101`);
  return { host: (m[1] ?? m[2])!, port };
}

/**
 * The metrics endpoint: GET /metrics only, no request body read, at most 16 connections, each request
 * answered within 5 s. Before the agent has its first network map it answers 503.
 */
export async function serveMetrics(
  at: ListenAddress,
  metrics: AgentMetrics,
  log: Logger,
): Promise<{ close(): Promise<void>; url: string }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if ((req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('rtcmesh agent metrics: GET /metrics\n');
      return;
    }
    metrics.text().then(
      (body) =>
        res
          .writeHead(200, { 'content-type': metrics.contentType })
          .end(req.method === 'HEAD' ? undefined : body),
      (err: Error) => {
        const starting = /still starting/.test(err.message);
        if (!starting) log.warn({ err: err.message }, 'metrics scrape failed');
        res.writeHead(starting ? 503 : 500, { 'content-type': 'text/plain' }).end(`${err.message}\n`);
      },
    );
  });
  server.maxConnections = 16;
  server.requestTimeout = 5000;
  server.headersTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`--metrics-listen ${at.host}:${at.port}: ${err.code ?? err.message}`)),
    );
    server.listen(at.port, at.host, () => resolve());
  });
  const addr = server.address();
  const port = addr && typeof addr === 'object' ? addr.port : at.port;
  const url = `http://${at.host.includes(':') ? `[${at.host}]` : at.host}:${port}/metrics`;
  log.info({ url }, 'serving metrics');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
