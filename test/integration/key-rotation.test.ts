import { createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { KeyRotation } from '../../apps/agent/src/agent/key-rotation.js';
import { ControlClient } from '../../apps/agent/src/control/control-client.js';
import { joinNetwork } from '../../apps/agent/src/control/join.js';
import { StateDir } from '../../apps/agent/src/state/state-dir.js';
import { type SignalServer, startSignalServer } from '../../apps/signal/src/index.js';
import { exportPublicKey, signJoinRequest } from '../../packages/protocol/src/index.js';

/**
 * `rtcmesh rekey` against the real server: the agent's state directory ends up with the new key, the
 * server tells peers, and an agent that stopped between the server's commit and saving the new key
 * recovers by itself on the next start (the old key is refused, the pending one is promoted).
 */
let dir: string;
let server: SignalServer;
let joinKey: string;
const clients: ControlClient[] = [];
let log: SignalServer['parts']['log'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rtcmesh-rekey-int-'));
  server = await startSignalServer({
    dataDir: join(dir, 'data'),
    port: 0,
    logLevel: 'silent',
    defaultMetrics: false,
    consoleDir: null,
  });
  await server.controlPlane.createNetwork({ name: 'alpha', mode: 'l3' });
  joinKey = (await server.controlPlane.createKey({ network: 'alpha', reusable: true })).key;
  // The server's own (silent) pino logger: the test project does not depend on pino itself.
  log = server.parts.log;
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.stop();
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function agentState(name: string) {
  const state = new StateDir(join(dir, name));
  const key = await state.loadOrCreateKey();
  const joined = await joinNetwork(
    server.url,
    signJoinRequest(key.privateKey, { key: joinKey, name, agentVersion: 'test' }),
  );
  return { state, key, nodeId: joined.nodeId };
}

function session(
  nodeId: string,
  privateKey: ControlClient['privateKey'],
  extra: { pendingKey?: ControlClient['privateKey'] } = {},
) {
  const c = new ControlClient({
    serverUrls: [server.url],
    nodeId,
    privateKey,
    agentVersion: 'test',
    logger: log,
    ...extra,
  });
  clients.push(c);
  const welcomed = new Promise<void>((resolve) => c.once('welcome', () => resolve()));
  c.start();
  return { client: c, welcomed };
}

const pub = (k: ControlClient['privateKey']) => exportPublicKey(createPublicKey(k));

test('rekey: the server, the peers and the state directory switch to the new key', async () => {
  const a = await agentState('rekey-a');
  const b = await agentState('rekey-b');
  const sa = session(a.nodeId, a.key.privateKey);
  const sb = session(b.nodeId, b.key.privateKey);
  await Promise.all([sa.welcomed, sb.welcomed]);
  const peerSawIt = new Promise<string>((resolve) =>
    sb.client.on('peer-updated', (p) => p.nodeId === a.nodeId && resolve(p.publicKey)),
  );
  const reply = await new KeyRotation(a.nodeId, sa.client, a.state, log).rotate();
  expect(reply.previousPublicKey).toBe(pub(a.key.privateKey));
  expect(await peerSawIt).toBe(reply.publicKey);
  // The state directory now holds the new key, and no pending one.
  const reloaded = await new StateDir(join(dir, 'rekey-a')).loadOrCreateKey();
  expect(pub(reloaded.privateKey)).toBe(reply.publicKey);
  expect(await a.state.loadPendingKey()).toBeUndefined();
  // A new session authenticates with it.
  await sa.client.stop();
  const again = session(a.nodeId, reloaded.privateKey);
  await again.welcomed;
});

test('a rotation interrupted after the server took it heals on the next start', async () => {
  const a = await agentState('rekey-crash');
  const sa = session(a.nodeId, a.key.privateKey);
  await sa.welcomed;
  // Simulate the crash: the pending key is written and the server takes it, but the agent never
  // renames it into place (the store's promote step is lost).
  const store = {
    createPendingKey: () => a.state.createPendingKey(),
    promotePendingKey: () => new Promise<void>(() => undefined),
    discardPendingKey: () => a.state.discardPendingKey(),
  };
  const rotation = new KeyRotation(a.nodeId, sa.client, store, log).rotate();
  await new Promise<void>((resolve) => sa.client.once('rekeyed', () => resolve()));
  void rotation;
  await sa.client.stop();
  // Restart from disk: the old key is still node.key, the new one pending.
  const restarted = await a.state.loadOrCreateKey();
  const pending = await a.state.loadPendingKey();
  expect(pending).toBeDefined();
  const s2 = session(a.nodeId, restarted.privateKey, { pendingKey: pending! });
  const promoted = new Promise<void>((resolve) =>
    s2.client.once('key-promoted', () => void a.state.promotePendingKey().then(resolve)),
  );
  await s2.welcomed;
  await promoted;
  expect(pub(s2.client.privateKey)).toBe(pub(pending!));
  expect(pub((await a.state.loadOrCreateKey()).privateKey)).toBe(pub(pending!));
});
