import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

/** Test-only: a coturn on loopback with TURN REST (shared secret) auth. */
export interface Coturn {
  port: number;
  secret: string;
  /** A TURN REST credential (`expiry:nodeId`, base64 HMAC-SHA1). */
  credential(nodeId: string, ttlSeconds?: number): { username: string; credential: string };
  stop(): Promise<void>;
}

export function hasTurnserver(): boolean {
  return spawnSync('sh', ['-c', 'command -v turnserver'], { stdio: 'ignore' }).status === 0;
}

function stunBindingOk(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const req = Buffer.alloc(20);
    req.writeUInt16BE(0x0001, 0); // Binding request
    req.writeUInt16BE(0, 2);
    req.writeUInt32BE(0x2112a442, 4); // magic cookie
    randomBytes(12).copy(req, 8);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('message', (msg) => done(msg.length >= 20 && msg.readUInt16BE(0) === 0x0101));
    sock.on('error', () => done(false));
    sock.send(req, port, '127.0.0.1');
  });
}

/**
 * Starts turnserver listening on 127.0.0.1, relaying from `relayIp` (another loopback address, so
 * relay candidates are distinguishable from host candidates). Resolves once it answers STUN.
 */
export async function startCoturn(relayIp = '127.0.0.2'): Promise<Coturn> {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const minPort = 40_000 + Math.floor(Math.random() * 200) * 100;
  const secret = randomBytes(16).toString('hex');
  const args = [
    '-n',
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    '--listening-ip',
    '127.0.0.1',
    '--relay-ip',
    relayIp,
    '--listening-port',
    String(port),
    '--min-port',
    String(minPort),
    '--max-port',
    String(minPort + 99),
    '--use-auth-secret',
    '--static-auth-secret',
    secret,
    '--realm',
    'rtcmesh.test',
    '--allow-loopback-peers',
    '--no-stdout-log',
    '--log-file',
    '/dev/null',
    '--pidfile',
    '/dev/null',
  ];
  const child: ChildProcess = spawn('turnserver', args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await stunBindingOk(port, 300))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`turnserver did not start on 127.0.0.1:${port} (exit ${child.exitCode})`);
    }
  }
  return {
    port,
    secret,
    credential(nodeId, ttlSeconds = 3600) {
      const username = `${Math.floor(Date.now() / 1000) + ttlSeconds}:${nodeId}`;
      const credential = createHmac('sha1', secret).update(username).digest('base64');
      return { username, credential };
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(t);
    },
  };
}
