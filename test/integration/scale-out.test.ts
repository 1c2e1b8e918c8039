import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ControlClient } from '../../apps/agent/src/control/control-client.js';
import { joinNetwork } from '../../apps/agent/src/control/join.js';
import { type ChildInstance, startChildInstance } from '../../apps/signal/src/testing/instances.js';
import { dropSchema, requireServices, silentLogger } from '../../apps/signal/src/testing/services.js';
import { connectNode, joinNode } from '../../apps/signal/src/testing/test-client.js';
import {
  CloseCode,
  type NodeSummary,
  type PeerInfo,
  type ServerSignal,
  signJoinRequest,
  type Welcome,
} from '../../packages/protocol/src/index.js';
import { twoInstanceDeployment, until } from './two-instances.js';

/**
 * Two rtcmesh-signal instances (child processes) on one PostgreSQL database and one Redis bus, with
 * real agent control clients (apps/agent) that know both URLs. Short heartbeats (500 ms, TTL 1.5 s)
 * keep the dead-instance cases quick; production uses 2 s / 6 s.
 */
const ready = await requireServices({ pg: true, redis: true });
const SIGNAL = {
  kind: 'candidate',
  gen: 'g1',
  candidate: { candidate: 'candidate:1 1 udp 1 192.0.2.1 4000 typ host', sdpMid: '0', sdpMLineIndex: 0 },
} as const;

const { schema, options, admin } = twoInstanceDeployment('scaleout');
const instances: ChildInstance[] = [];
const clients: ControlClient[] = [];

/** An agent's control session (the real client) that records what it hears. */
type Agent = {
  nodeId: string;
  client: ControlClient;
  welcomes: Welcome[];
  joined: PeerInfo[];
  left: string[];
  signals: ServerSignal[];
};

async function agent(name: string, key: string, urls: string[]): Promise<Agent> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const joined = await joinNetwork(urls[0]!, signJoinRequest(privateKey, { key, name, agentVersion: 't' }));
  const client = new ControlClient({
    serverUrls: urls,
    nodeId: joined.nodeId,
    privateKey,
    agentVersion: 't',
    logger: silentLogger(),
  });
  clients.push(client);
  const a: Agent = { nodeId: joined.nodeId, client, welcomes: [], joined: [], left: [], signals: [] };
  client.on('welcome', (w) => a.welcomes.push(w));
  client.on('peer-joined', (p) => a.joined.push(p));
  client.on('peer-left', (p) => a.left.push(p.nodeId));
  client.on('signal', (s) => a.signals.push(s));
  client.start();
  await until(`${name} welcomed`, () => a.welcomes.length > 0);
  return a;
}

describe.runIf(ready)('two instances on one PostgreSQL and one Redis', () => {
  let a: ChildInstance;
  let b: ChildInstance;
  let key: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startChildInstance(options), startChildInstance(options)]);
    instances.push(a, b);
    await admin(a.url, 'POST', '/networks', { name: 'so', mode: 'l3', cidr: '10.50.0.0/24' });
    key = (await admin<{ key: string }>(b.url, 'POST', '/keys', { network: 'so', reusable: true })).key;
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) await c.stop();
    for (const i of instances) await i.kill();
    await dropSchema(schema);
  });

  test('a node that connects to B while its session on A is alive: the newest session wins everywhere', async () => {
    const watcher = await agent('watcher', key, [b.url, a.url]);
    const dup = await joinNode(a, key, 'dup');
    const first = await connectNode(a, dup);
    await until('watcher hears dup', () => watcher.joined.some((p) => p.nodeId === dup.join.nodeId));
    const second = await connectNode(b, dup);
    expect((await first.client.closed).code).toBe(CloseCode.SessionReplaced);
    const view = async (base: string) =>
      (await admin<{ sessionsByInstance: Record<string, number> }>(base, 'GET', '/cluster'))
        .sessionsByInstance;
    await until('both instances see dup on B only', async () => {
      const [va, vb] = [await view(a.url), await view(b.url)];
      return JSON.stringify(va) === JSON.stringify(vb) && va[a.instance] === undefined;
    });
    expect(watcher.left).not.toContain(dup.join.nodeId);
    second.client.close();
    await until('watcher hears dup leave', () => watcher.left.includes(dup.join.nodeId));
    await watcher.client.stop();
    clients.splice(clients.indexOf(watcher.client), 1);
  }, 60_000);

  test('agents on different instances see each other and relay signals; a SIGKILLed instance’s agents move and presence heals', async () => {
    const one = await agent('one', key, [a.url, b.url]);
    const two = await agent('two', key, [b.url, a.url]);
    const three = await agent('three', key, [a.url, b.url]);
    // A node whose session stays on A and never comes back: peers must learn it is gone.
    const staleNode = await joinNode(a, key, 'stale');
    await connectNode(a, staleNode);
    const stale = staleNode.join.nodeId;

    // `two` (on B) was welcomed with `one` (on A) online, and hears about `three` and `stale`.
    expect(two.welcomes[0]!.peers.find((p) => p.nodeId === one.nodeId)?.online).toBe(true);
    await until('two hears three and stale', () =>
      [three.nodeId, stale].every((id) => two.joined.some((p) => p.nodeId === id)),
    );
    await until('one hears two', () => one.joined.some((p) => p.nodeId === two.nodeId));

    // Signals cross the bus both ways.
    one.client.send({ type: 'signal', to: two.nodeId, data: SIGNAL });
    await until('two gets the signal', () => two.signals.some((s) => s.from === one.nodeId));
    two.client.send({ type: 'signal', to: one.nodeId, data: SIGNAL });
    await until('one gets the signal', () => one.signals.some((s) => s.from === two.nodeId));

    await a.kill();
    // The agents of A reconnect to B by themselves...
    await until('one and three moved to B', () =>
      [one, three].every((x) => x.welcomes.length === 2 && x.client.serverUrl === b.url),
    );
    // ...and B forgets the session that did not come back (heartbeat TTL), telling its peers.
    await until('two hears that stale left', () => two.left.includes(stale));
    const nodes = await admin<{ nodes: NodeSummary[] }>(b.url, 'GET', '/nodes');
    const ids = new Set([one.nodeId, two.nodeId, three.nodeId, stale]);
    const online = Object.fromEntries(
      nodes.nodes.filter((n) => ids.has(n.nodeId)).map((n) => [n.nodeId, n.online]),
    );
    expect(online).toEqual({ [one.nodeId]: true, [two.nodeId]: true, [three.nodeId]: true, [stale]: false });
    // The moved nodes were never announced offline to `two`.
    expect(two.left).not.toContain(one.nodeId);
    expect(two.left).not.toContain(three.nodeId);
    const cluster = await admin<{ sessionsByInstance: Record<string, number> }>(b.url, 'GET', '/cluster');
    expect(cluster.sessionsByInstance).toEqual({ [b.instance]: 3 });
    // Relay on the surviving instance.
    two.signals.length = 0;
    three.client.send({ type: 'signal', to: two.nodeId, data: SIGNAL });
    await until('two gets three’s signal', () => two.signals.some((s) => s.from === three.nodeId));
  }, 60_000);

  test('an instance stopped with SIGTERM sends its agents to another at once', async () => {
    // A comes back on its old address (the agents know only A's and B's URLs).
    const c = await startChildInstance({ ...options, port: Number(new URL(a.url).port) });
    instances.push(c);
    expect(c.url).toBe(a.url);
    const before = clients.map((x) => x.serverUrl);
    expect(new Set(before)).toEqual(new Set([b.url]));
    await b.stop();
    await until(
      'every agent is back on A',
      () => clients.every((x) => x.connected && x.serverUrl === c.url),
      10_000,
    );
  }, 60_000);
});
