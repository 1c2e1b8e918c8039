/**
 * `npm start`: a signaling server ready for agents in one command. Starts the server (default
 * 127.0.0.1:8080, data in <repo>/.data/signal), makes sure a network "demo" (L2, 10.99.0.0/24) exists,
 * creates a reusable join key and prints the admin token and the exact `rtcmesh up` command. Ctrl-C stops.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ADMIN_TOKEN_FILE } from './auth/admin-token.js';
import { parseListen } from './cli/parse.js';
import { startSignalServer } from './server.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../..');
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: join(repoRoot, '.data', 'signal') },
    listen: { type: 'string', default: '127.0.0.1:8080' },
    network: { type: 'string', default: 'demo' },
  },
});
const dataDir = resolve(values.data);
const { host, port } = parseListen(values.listen);
const log = pino({ level: 'warn' });

const server = await startSignalServer({ dataDir, host, port, logger: log });
const controlPlane = server.controlPlane;
const existing = await controlPlane.requireNetwork(values.network).catch(() => undefined);
const network = existing
  ? await controlPlane.networkSummary(existing)
  : await controlPlane.createNetwork({ name: values.network, mode: 'l2', cidr: '10.99.0.0/24' });
const key = await controlPlane.createKey({
  network: network.id,
  reusable: true,
  ttlSeconds: 24 * 3600,
  description: 'quickstart',
});
let token = server.adminToken;
if (!token) {
  try {
    token = readFileSync(join(dataDir, ADMIN_TOKEN_FILE), 'utf8').trim();
  } catch {
    token = `(see ${join(dataDir, ADMIN_TOKEN_FILE)})`;
  }
}

const lines = [
  '',
  `rtcmesh signaling server running at ${server.url}  (WebSocket ${server.wsUrl})`,
  `data directory: ${dataDir}`,
  `admin token:    ${token}`,
  `network:        ${network.name} (${network.id}), ${network.mode}, ${network.cidr}, mtu ${network.mtu}`,
  `join key:       ${key.key}  (reusable, expires in 24h)`,
  '',
  'Join a machine to the mesh (as root):',
  `  rtcmesh up --server ${server.url} --key ${key.key}`,
  '',
  'Admin from another shell:',
  `  node apps/signal/bin/rtcmesh-signal.js node list --data ${dataDir}`,
  '',
  'Ctrl-C stops the server.',
  '',
];
process.stdout.write(lines.join('\n'));

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
