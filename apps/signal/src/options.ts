import { LIMITS } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { BusOptions } from './cluster/open-bus.js';

export type SignalServerOptions = BusOptions & {
  /** Directory for the database, the admin socket and the admin-token file. */
  dataDir: string;
  /**
   * postgres://user:pass@host:port/db to keep the state in PostgreSQL (several instances can share
   * it); default: SQLite in `<dataDir>/signal.db`.
   */
  database?: string;
  /** PostgreSQL pool size and schema (tests use a schema per file). */
  postgres?: { poolSize?: number; schema?: string };
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  stun?: string[];
  turn?: string[];
  turnSecret?: string;
  /** Lifetime of minted TURN credentials; default 12 h (re-minted at half-life). */
  turnTtlSeconds?: number;
  /** URL agents use to reach this server, if it differs from the bound address (reverse proxy). */
  publicUrl?: string;
  /** Serve the admin API on `<dataDir>/admin.sock` (default true). */
  adminSocket?: boolean;
  /** Use this admin token on first start instead of generating one (tests). */
  adminToken?: string;
  logger?: Logger;
  /** Default 'info'; ignored when `logger` is given. */
  logLevel?: string;
  /** Keepalive ping interval (default 5000 ms; a dead socket is dropped within two intervals). */
  heartbeatMs?: number;
  authTimeoutMs?: number;
  maxMessageBytes?: number;
  rateLimitPerSecond?: number;
  rateLimitBurst?: number;
  maxBufferedBytes?: number;
  /**
   * "Open in browser" (issue 20): the proxy origin listens here, a port of its own so proxied
   * services never share the console's origin (TLS as the main listener). Absent: the feature is off.
   * `publicUrl`: the origin as browsers reach it (reverse proxy); default the console's host name on `port`.
   */
  browserProxy?: { host: string; port: number; publicUrl?: string };
  /** Built console served at `/` (default $RTCMESH_CONSOLE_DIR or apps/console/dist); null = none. */
  consoleDir?: string | null;
  /** Collect Node process metrics in /metrics (default true). */
  defaultMetrics?: boolean;
  /** Serve HTTPS + WSS with this PEM certificate chain and key (re-read by `reloadTls()`, SIGHUP in the CLI). */
  tls?: { certFile: string; keyFile: string };
  /**
   * Reverse proxies (addresses or CIDRs) whose `X-Forwarded-For` is believed; default none: the TCP
   * peer is the client. See net/client-address.ts.
   */
  trustProxy?: string[];
  /** Origins granted CORS on /api/* (default none: no CORS headers at all). */
  corsOrigins?: string[];
  /** Open WebSocket connections in all (default 50 000; 0 = no limit): over it, 503 `server-full`. */
  maxConnections?: number;
  /** Open WebSocket connections per client address (default 64; 0 = no limit). */
  maxSessionsPerIp?: number;
  /** WebSocket connections per client address that have not authenticated yet (default 16; 0 = no limit). */
  maxHandshakesPerIp?: number;
  /** Join attempts per client address and per join key: sustained per minute (default 10) and burst (default 20); 0 = no limit. */
  joinRatePerMinute?: number;
  joinBurst?: number;
  /** Largest REST body (default 64 KiB). */
  maxBodyBytes?: number;
};

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  turnTtlSeconds: 12 * 3600,
  heartbeatMs: 5000,
  authTimeoutMs: LIMITS.authTimeoutSeconds * 1000,
  maxMessageBytes: LIMITS.maxMessageBytes,
  rateLimitPerSecond: LIMITS.rateLimitPerSecond,
  rateLimitBurst: LIMITS.rateLimitBurst,
  maxBufferedBytes: 8 * 1024 * 1024,
  maxConnections: 50_000,
  maxSessionsPerIp: 64,
  maxHandshakesPerIp: 16,
  joinRatePerMinute: 10,
  joinBurst: 20,
  maxBodyBytes: 64 * 1024,
} as const;
