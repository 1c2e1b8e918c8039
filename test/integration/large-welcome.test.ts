import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ControlClient } from '../../apps/agent/src/control/control-client.js';
import { type SignalServer, startSignalServer } from '../../apps/signal/src/index.js';
import { connectNode, joinNode } from '../../apps/signal/src/testing/test-client.js';
import {
  type Binding,
  generateNodeKey,
  importPrivateKey,
  LIMITS,
  type Welcome,
} from '../../packages/protocol/src/index.js';

/**
 * Issue 16: members that advertise everything the limits allow (256 bindings of 16 IPv6 addresses
 * each, about 190 KB of peer entry per member) grow the peer list past the agent's 16 MiB message
 * limit. The network must still admit a new node and let old ones reconnect: the welcome comes in
 * pages. The members advertise, then go offline: their bindings stay, as they would after a hostile
 * member left.
 */
const MEMBERS = 120;
let dir: string;
let server: SignalServer;
let joinKey: string;

function fullBindings(member: number): Binding[] {
  const hex = (n: number) => n.toString(16).padStart(4, '0');
  return Array.from({ length: LIMITS.maxBindings }, (_, b) => ({
    mac: `02:${hex(member).slice(0, 2)}:${hex(member).slice(2)}:00:${hex(b).slice(0, 2)}:${hex(b).slice(2)}`,
    ips: Array.from(
      { length: LIMITS.maxIpsPerBinding },
      (_, i) => `fd00:1234:5678:9abc:${hex(member)}:${hex(b)}:${hex(i)}:ffff`,
    ),
    seq: 1,
  }));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rtcmesh-welcome-'));
  server = await startSignalServer({
    dataDir: join(dir, 'data'),
    port: 0,
    logLevel: 'silent',
    defaultMetrics: false,
    consoleDir: null,
    adminSocket: false,
    joinRatePerMinute: 0,
  });
  await server.controlPlane.createNetwork({ name: 'big', mode: 'l2' });
  joinKey = (await server.controlPlane.createKey({ network: 'big', reusable: true })).key;
  // One member advertises through the protocol (the server takes a full advertisement); the others'
  // equal advertisements go straight to the store, which is quicker than sending each new member a
  // welcome with everything before it.
  const first = await joinNode(server, joinKey, 'member-0');
  const { client } = await connectNode(server, first);
  client.send({ type: 'advertise', id: 'a0', bindings: fullBindings(0) });
  // Messages of a session are handled in order: the pong says the advertisement is stored.
  client.send({ type: 'ping', ts: 0 });
  await client.next('pong');
  expect(client.all('error')).toEqual([]);
  client.close();
  for (let m = 1; m < MEMBERS; m++) {
    const node = await joinNode(server, joinKey, `member-${m}`);
    await server.parts.store.nodes.setAdvertisements(node.join.nodeId, fullBindings(m), undefined);
  }
}, 60_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a network whose peer list is larger than the agent’s message limit still admits a new node', async () => {
  const key = generateNodeKey();
  const node = await joinNode(server, joinKey, 'newcomer', key);
  const agent = new ControlClient({
    serverUrls: [server.url],
    nodeId: node.join.nodeId,
    privateKey: importPrivateKey(key.privateKey),
    agentVersion: 'test',
    logger: server.parts.log,
  });
  try {
    const welcome = new Promise<Welcome>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no welcome within 20 s; the agent's last error: ${agent.lastError}`)),
        20_000,
      );
      agent.once('welcome', (w) => {
        clearTimeout(timer);
        resolve(w);
      });
    });
    agent.start();
    const w = await welcome;
    expect(JSON.stringify(w.peers).length).toBeGreaterThan(16 * 1024 * 1024);
    expect(w.peers).toHaveLength(MEMBERS);
    expect(new Set(w.peers.map((p) => p.name)).size).toBe(MEMBERS);
    for (const p of w.peers) expect(p.bindings).toHaveLength(LIMITS.maxBindings);
    expect(w.peers.find((p) => p.name === 'member-0')?.bindings).toHaveLength(LIMITS.maxBindings);
    expect(w.peers.find((p) => p.name === 'member-7')?.bindings[255]).toEqual(fullBindings(7)[255]);
    // The paged welcome is not the end of the session: updates after it arrive as usual.
    const joined = new Promise<string>((resolve) => agent.once('peer-joined', (p) => resolve(p.name)));
    const again = await connectNode(server, await joinNode(server, joinKey, 'latecomer'));
    expect(await joined).toBe('latecomer');
    again.client.close();
  } finally {
    await agent.stop();
  }
}, 60_000);
