import { join } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { ADMIN_TOKEN_FILE } from '../auth/admin-token.js';
import { startSignalServer } from '../server.js';
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
  logLevel: string;
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
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (o: ServeOpts) => {
      const log = pino({ level: o.logLevel });
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
        logger: log,
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
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
