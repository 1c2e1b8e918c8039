import { LIMITS } from '@rtcmesh/protocol';
import type { Logger } from 'pino';

export type SignalServerOptions = {
  /** Directory for the database, the admin socket and the admin-token file. */
  dataDir: string;
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
  /** Built console served at `/` (default $RTCMESH_CONSOLE_DIR or apps/console/dist); null = none. */
  consoleDir?: string | null;
  /** Collect Node process metrics in /metrics (default true). */
  defaultMetrics?: boolean;
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
} as const;
