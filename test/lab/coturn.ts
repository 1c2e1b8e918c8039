import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './exec.js';
import type { LabServer } from './host.js';
import type { ManagedProcess } from './managed-process.js';

export interface CoturnOptions {
  /** Shared secret for TURN REST credentials (`use-auth-secret`). */
  secret: string;
  realm?: string;
  /** UDP + TCP listening port. Default 3478. */
  port?: number;
  /** TLS (TCP) listening port. Default 5349. */
  tlsPort?: number;
  /** Relay port range. Default 49152-65535. */
  minPort?: number;
  maxPort?: number;
  /** Extra turnserver arguments. */
  extraArgs?: readonly string[];
  /** How long to wait for the listeners. Default 15 s. */
  timeoutMs?: number;
}

export interface Coturn {
  process: ManagedProcess;
  secret: string;
  realm: string;
  /** ICE server URLs, ready for a network config. */
  urls: { stun: string; turnUdp: string; turnTcp: string; turns: string };
  /** Self-signed certificate (PEM path) the TLS listener uses. */
  certFile: string;
  stop(): Promise<void>;
}

/** TURN REST API credentials (draft-uberti-behave-turn-rest): user `expiry:name`, HMAC-SHA1 password. */
export function turnCredentials(
  secret: string,
  name: string,
  ttlSec = 3600,
): { username: string; credential: string } {
  const username = `${Math.floor(Date.now() / 1000) + ttlSec}:${name}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

async function listening(server: LabServer, proto: 'u' | 't', port: number): Promise<boolean> {
  const r = await server.exec('ss', [`-ln${proto}H`, 'sport', '=', `:${port}`]);
  return r.code === 0 && r.stdout.trim().length > 0;
}

/**
 * Runs coturn in the server namespace without a config file: UDP+TCP on `port`, TLS on `tlsPort`
 * with a fresh self-signed certificate, TURN REST auth with `secret`, no CLI. Resolves once all
 * three listeners are up. The world stops it at teardown; `stop()` also removes the temp dir.
 */
export async function startCoturn(server: LabServer, opts: CoturnOptions): Promise<Coturn> {
  const port = opts.port ?? 3478;
  const tlsPort = opts.tlsPort ?? 5349;
  const realm = opts.realm ?? 'rtcmesh.lab';
  const dir = await mkdtemp(join(tmpdir(), 'rtm-coturn-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    '/CN=turn.rtcmesh.lab',
    '-addext',
    `subjectAltName=IP:${server.ip}`,
  ]);
  const args = [
    '-n', // no config file
    '--no-cli',
    `--listening-ip=${server.ip}`,
    `--relay-ip=${server.ip}`,
    `--listening-port=${port}`,
    `--tls-listening-port=${tlsPort}`,
    `--alt-listening-port=0`,
    `--alt-tls-listening-port=0`,
    '--use-auth-secret',
    `--static-auth-secret=${opts.secret}`,
    `--realm=${realm}`,
    `--cert=${certFile}`,
    `--pkey=${keyFile}`,
    `--min-port=${opts.minPort ?? 49152}`,
    `--max-port=${opts.maxPort ?? 65535}`,
    '--fingerprint',
    '--no-dtls',
    '--no-multicast-peers',
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    `--userdb=${join(dir, 'turndb')}`,
    '--log-file=stdout',
    '--simple-log',
    ...(opts.extraArgs ?? []),
  ];
  const proc = server.spawn('turnserver', args, { label: 'coturn' });
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  // Poll the sockets (not the log text, which changes between coturn versions).
  for (;;) {
    if (!proc.running) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`coturn exited (${proc.exitInfo?.code ?? proc.exitInfo?.signal}):\n${proc.tail()}`);
    }
    if (
      (await listening(server, 'u', port)) &&
      (await listening(server, 't', port)) &&
      (await listening(server, 't', tlsPort))
    )
      break;
    if (Date.now() > deadline) {
      await proc.stop(1000);
      await rm(dir, { recursive: true, force: true });
      throw new Error(`coturn did not listen on ${port}/udp+tcp and ${tlsPort}/tls in time:\n${proc.tail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  void proc.exited.then(() => rm(dir, { recursive: true, force: true }));
  return {
    process: proc,
    secret: opts.secret,
    realm,
    certFile,
    urls: {
      stun: `stun:${server.ip}:${port}`,
      turnUdp: `turn:${server.ip}:${port}?transport=udp`,
      turnTcp: `turn:${server.ip}:${port}?transport=tcp`,
      turns: `turns:${server.ip}:${tlsPort}?transport=tcp`,
    },
    stop: async () => {
      await proc.stop(3000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
