import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { ADMIN_TOKEN_FILE } from '../auth/admin-token.js';
import { isRedisUrl } from '../cluster/open-bus.js';
import { startSignalServer } from '../server.js';
import { isPostgresUrl } from '../store/index.js';
import { parseDuration, parseListen } from './parse.js';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

type ServeOpts = {
  listen: string;
  data: string;
  stun: string[];
  turn: string[];
  turnSecret?: string;
  turnTtl: string;
  publicUrl?: string;
  browserProxyListen?: string;
  browserProxyUrl?: string;
  logLevel: string;
  tlsCert?: string;
  tlsKey?: string;
  trustProxy: string[];
  corsOrigin: string[];
  maxSessionsPerIp: number;
  maxHandshakesPerIp: number;
  maxConnections: number;
  joinRate: number;
  db?: string;
  bus?: string;
  busPrefix?: string;
};

const count = (v: string): number => {
  if (!/^\d{1,9}$/.test(v)) throw new InvalidArgumentError('expected a whole number (0 = no limit)');
  return Number(v);
};

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the signaling server (JSON logs on stdout; the "listening" line carries the bound url)')
    .option('--listen <host:port>', 'address to listen on (port 0 = any free port)', '127.0.0.1:8080')
    .requiredOption('--data <dir>', 'state directory (database, admin socket, admin-token file)')
    .option('--stun <url>', 'STUN server URL announced to agents (repeatable)', collect, [])
    .option('--turn <url>', 'TURN server URL (repeatable; needs --turn-secret)', collect, [])
    .option(
      '--turn-secret <secret>',
      'coturn static-auth-secret (use-auth-secret)',
      process.env.RTCMESH_TURN_SECRET,
    )
    .option('--turn-ttl <duration>', 'lifetime of minted TURN credentials', '12h')
    .option('--public-url <url>', 'URL agents use to reach this server (behind a proxy)')
    .option(
      '--browser-proxy-listen <host:port>',
      '"Open in browser": serve the proxy origin on this address (its own port: proxied services never share the console\'s origin; HTTPS with --tls-cert, which service workers need outside localhost)',
    )
    .option(
      '--browser-proxy-url <url>',
      "the proxy origin as browsers reach it (default: the console's host name on its port)",
    )
    .option('--tls-cert <file>', 'serve HTTPS + WSS with this PEM certificate (chain); reloaded on SIGHUP')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option(
      '--trust-proxy <addr>',
      'believe X-Forwarded-For from this reverse proxy address or CIDR (repeatable)',
      collect,
      [],
    )
    .option('--cors-origin <origin>', 'grant CORS on /api/* to this origin (repeatable)', collect, [])
    .option(
      '--max-connections <n>',
      'open WebSocket connections in all; over it, new ones get 503 server-full (0 = no limit)',
      count,
      50_000,
    )
    .option(
      '--max-sessions-per-ip <n>',
      'open WebSocket connections per client address (0 = no limit)',
      count,
      64,
    )
    .option(
      '--max-handshakes-per-ip <n>',
      'unauthenticated WebSocket connections per client address (0 = no limit)',
      count,
      16,
    )
    .option(
      '--join-rate <n>',
      'join attempts per minute per client address and per join key (0 = no limit)',
      count,
      10,
    )
    .option(
      '--db <url>',
      'keep the state in PostgreSQL (postgres://user:pass@host/db) instead of SQLite in --data; several instances can share it',
      process.env.RTCMESH_DB,
    )
    .option(
      '--bus <url>',
      'Redis (redis://host:6379) connecting several instances: relay, presence, admin events; default: none (one instance)',
      process.env.RTCMESH_BUS,
    )
    .option('--bus-prefix <prefix>', 'Redis key/channel prefix (several meshes on one Redis)', 'rtcmesh')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (o: ServeOpts) => {
      if ((o.tlsCert === undefined) !== (o.tlsKey === undefined))
        throw new Error('--tls-cert and --tls-key go together');
      const log = pino({ level: o.logLevel });
      if (o.db !== undefined && !isPostgresUrl(o.db)) throw new Error('--db must be a postgres:// URL');
      if (o.bus !== undefined && !isRedisUrl(o.bus)) throw new Error('--bus must be a redis:// URL');
      if (o.busPrefix !== undefined && !/^[A-Za-z0-9_.:-]{1,64}$/.test(o.busPrefix))
        throw new Error('--bus-prefix: letters, digits and _.:- only');
      const { host, port } = parseListen(o.listen);
      const server = await startSignalServer({
        dataDir: o.data,
        host,
        port,
        stun: o.stun,
        turn: o.turn,
        turnSecret: o.turnSecret,
        turnTtlSeconds: parseDuration(o.turnTtl),
        publicUrl: o.publicUrl,
        ...(o.browserProxyListen
          ? {
              browserProxy: {
                ...parseListen(o.browserProxyListen),
                ...(o.browserProxyUrl ? { publicUrl: o.browserProxyUrl } : {}),
              },
            }
          : {}),
        logger: log,
        ...(o.tlsCert && o.tlsKey ? { tls: { certFile: o.tlsCert, keyFile: o.tlsKey } } : {}),
        trustProxy: o.trustProxy,
        corsOrigins: o.corsOrigin,
        maxSessionsPerIp: o.maxSessionsPerIp,
        maxConnections: o.maxConnections,
        maxHandshakesPerIp: o.maxHandshakesPerIp,
        joinRatePerMinute: o.joinRate,
        ...(o.db === undefined ? {} : { database: o.db }),
        ...(o.bus === undefined ? {} : { bus: o.bus }),
        ...(o.busPrefix === undefined ? {} : { busPrefix: o.busPrefix }),
      });
      if (server.adminToken) {
        process.stderr.write(
          `\nAdmin token (shown once; also saved to ${join(o.data, ADMIN_TOKEN_FILE)}, mode 0600):\n  ${server.adminToken}\n\n`,
        );
      }
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'shutting down');
        server.close().then(
          () => process.exit(0),
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      // SIGHUP: re-read the certificate after a renewal (certbot deploy hook: systemctl reload).
      process.on('SIGHUP', () => {
        if (!server.tls) return log.info('SIGHUP ignored: not serving TLS');
        try {
          server.reloadTls();
        } catch (err) {
          log.error({ err: (err as Error).message }, 'TLS reload failed; keeping the previous certificate');
        }
      });
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
