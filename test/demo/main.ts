/**
 * `pnpm demo`: a small rtcmesh world on this machine. Three sites (two behind cone NATs, one behind a
 * symmetric NAT), a public server namespace with the signaling server and coturn, one agent per site,
 * a live status table, and the console forwarded to http://127.0.0.1:8080. Ctrl-C tears it all down.
 * Needs root (network namespaces, TAP/TUN); everything lives in namespaces it creates.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { parseArgs } from 'node:util';
import { MeshLab, type StatusJson } from '../e2e/mesh-lab.js';
import { missingPrerequisites } from '../lab/index.js';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'l3' },
    port: { type: 'string', default: '8080' },
  },
});
const mode = values.mode === 'l2' ? 'l2' : 'l3';
const consolePort = Number(values.port);

if (process.getuid?.() !== 0) {
  console.error(
    'pnpm demo needs root: it creates network namespaces, NAT routers and TAP/TUN devices.\n  sudo pnpm demo',
  );
  process.exit(1);
}
const missing = await missingPrerequisites();
if (missing.length > 0) {
  console.error(
    `pnpm demo needs:\n  - ${missing.join('\n  - ')}\nOn Debian/Ubuntu: apt-get install iproute2 iptables coturn openssl iputils-ping`,
  );
  process.exit(1);
}

console.log(`building the lab world (mode ${mode.toUpperCase()})...`);
const mesh = await MeshLab.start({
  world: {
    sites: {
      paris: { nat: 'cone', hosts: ['web'] },
      berlin: { nat: 'cone', hosts: ['db'] },
      cloud: { nat: 'symmetric', hosts: ['app'] },
    },
  },
  network: { mode, cidr: mode === 'l2' ? '10.98.0.0/24' : '10.99.0.0/24' },
});

let forwarder: Server | undefined;
let shuttingDown = false;
async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  process.stdout.write('\ntearing down...\n');
  forwarder?.close();
  await mesh.teardown();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  for (const h of ['web', 'db', 'app']) await mesh.startAgent(h);
  forwarder = forwardConsole(
    mesh.world.server.ns,
    mesh.world.server.ip,
    mesh.world.server.signalingPort,
    consolePort,
  );
  const token = (await mesh.world.server.exec('cat', [`${mesh.dataDir}/admin-token`])).stdout.trim();
  const started = Date.now();
  await mesh.waitFullMesh(60_000);
  const header = [
    `rtcmesh demo: ${mode.toUpperCase()} network over 3 sites (paris: cone NAT, berlin: cone NAT, cloud: symmetric NAT)`,
    `console     http://127.0.0.1:${consolePort}/   (admin token: ${token})`,
    `full mesh   up in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    `try         ip netns exec ${mesh.world.host('web').ns} ping ${await mesh.agent('db').address()}`,
    `            ip netns exec ${mesh.world.host('web').ns} node apps/agent/bin/rtcmesh.js status --state ${mesh.agent('web').stateDir}`,
    'Ctrl-C to stop and remove everything.',
  ].join('\n');
  for (;;) {
    const rows: string[] = [];
    for (const agent of mesh.agents.values()) {
      const s: StatusJson = await agent.status().catch(() => ({ peers: [] }) as unknown as StatusJson);
      for (const p of s.peers) {
        rows.push(
          [agent.name, p.name, p.state, p.path ?? '-', p.rttMs === null ? '-' : `${p.rttMs.toFixed(1)} ms`]
            .map((c, i) => c.padEnd([8, 8, 12, 8, 10][i]!))
            .join(' '),
        );
      }
    }
    process.stdout.write(
      `\x1b[2J\x1b[H${header}\n\n${'NODE     PEER     STATE        PATH     RTT'}\n${rows.join('\n')}\n`,
    );
    await new Promise((r) => setTimeout(r, 2000));
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  console.error(mesh.logs());
  await shutdown(1);
}

/**
 * The server lives in a namespace; the operator's browser lives in the root namespace. Each
 * connection to 127.0.0.1:PORT is carried into the namespace by a small `ip netns exec node` pipe,
 * so the demo adds no interface or route to the host.
 */
function forwardConsole(ns: string, ip: string, port: number, localPort: number): Server {
  const pipe = `const s=require('net').connect(${port},'${ip}');process.stdin.pipe(s);s.pipe(process.stdout);s.on('error',()=>process.exit(1));s.on('close',()=>process.exit(0));`;
  const server = createServer((client) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', pipe], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    client.pipe(child.stdin);
    child.stdout.pipe(client);
    client.on('error', () => child.kill());
    client.on('close', () => child.kill());
    child.on('exit', () => client.destroy());
  });
  server.listen(localPort, '127.0.0.1');
  return server;
}
