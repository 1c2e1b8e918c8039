import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ControlClient } from '../../apps/agent/src/control/control-client.js';
import { joinNetwork } from '../../apps/agent/src/control/join.js';
import { LinkAuthenticator } from '../../apps/agent/src/links/link-auth.js';
import { PeerLinks } from '../../apps/agent/src/links/peer-links.js';
import { type ChildInstance, startChildInstance } from '../../apps/signal/src/testing/instances.js';
import { dropSchema, requireServices, silentLogger } from '../../apps/signal/src/testing/services.js';
import { CandidateAddressFilter } from '../../packages/peer/src/index.js';
import { loopbackOnly } from '../../packages/peer/src/testing/index.js';
import { signJoinRequest } from '../../packages/protocol/src/index.js';
import { twoInstanceDeployment, until } from './two-instances.js';

/**
 * Peer links across signaling instances: agents built from the agent's real parts (control client,
 * PeerLinks with signed fingerprints, werift links on loopback) attached to different instances of
 * one PostgreSQL + Redis deployment negotiate a link through both instances and carry packets. When
 * an instance is killed, its agent moves to the other one, the link keeps forwarding, and new links
 * are negotiated through the surviving instance.
 */
const ready = await requireServices({ pg: true, redis: true });
const { schema, options, admin } = twoInstanceDeployment('solinks');
/** WebRTC negotiations take longer than presence on a loaded machine. */
const LINK_WAIT_MS = 20_000;
const instances: ChildInstance[] = [];
const agents: MeshAgent[] = [];

type MeshAgent = { nodeId: string; client: ControlClient; links: PeerLinks; received: string[] };

/** The agent's control plane and peer links, wired as apps/agent/src/agent/agent.ts does (no device). */
async function meshAgent(name: string, key: string, urls: string[]): Promise<MeshAgent> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const joined = await joinNetwork(urls[0]!, signJoinRequest(privateKey, { key, name, agentVersion: 't' }));
  const log = silentLogger();
  const client = new ControlClient({
    serverUrls: urls,
    nodeId: joined.nodeId,
    privateKey,
    agentVersion: 't',
    logger: log,
  });
  const received: string[] = [];
  const links = new PeerLinks({
    selfId: joined.nodeId,
    logger: log,
    sendSignal: (to, data) => client.send({ type: 'signal', to, data }),
    onPacket: (_peer, frame) => received.push(frame.toString()),
    candidateFilter: new CandidateAddressFilter(loopbackOnly()),
    linkAuth: new LinkAuthenticator(joined.nodeId, () => client.privateKey),
  });
  client.on('welcome', (w) => links.sync(w.peers));
  client.on('peer-joined', (p) => links.upsert(p));
  client.on('peer-updated', (p) => links.upsert(p));
  client.on('peer-left', (p) => links.markOffline(p.nodeId, p.lastSeen));
  client.on('signal', (s) => links.handleSignal(s.from, s.data));
  const welcomed = new Promise<void>((resolve) => client.once('welcome', () => resolve()));
  client.start();
  await welcomed;
  const a: MeshAgent = { nodeId: joined.nodeId, client, links: links, received };
  agents.push(a);
  return a;
}

const connected = (from: MeshAgent, to: MeshAgent) =>
  from.links.get(to.nodeId)?.link?.currentState === 'connected';

/** Sends `text` from `from` to `to` until it arrives (the first packets may race the channel opening). */
async function deliver(from: MeshAgent, to: MeshAgent, text: string): Promise<void> {
  await until(
    `${text} delivered`,
    () => {
      if (to.received.includes(text)) return true;
      from.links.sendPacket(to.nodeId, Buffer.from(text));
      return false;
    },
    LINK_WAIT_MS,
  );
}

describe.runIf(ready)('peer links across two signaling instances', { timeout: 90_000 }, () => {
  let a: ChildInstance;
  let b: ChildInstance;
  let key: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startChildInstance(options), startChildInstance(options)]);
    instances.push(a, b);
    await admin(a.url, 'POST', '/networks', { name: 'links', mode: 'l3', cidr: '10.51.0.0/24' });
    key = (await admin<{ key: string }>(b.url, 'POST', '/keys', { network: 'links', reusable: true })).key;
  }, 60_000);

  afterAll(async () => {
    for (const x of agents) {
      await x.links.close('test over');
      await x.client.stop();
    }
    for (const i of instances) await i.kill();
    await dropSchema(schema);
  });

  test('agents on different instances link; when one instance dies the link keeps forwarding and new links form through the other', async () => {
    const onA = await meshAgent('on-a', key, [a.url, b.url]);
    const onB = await meshAgent('on-b', key, [b.url, a.url]);
    expect(onA.client.serverUrl).toBe(a.url);
    expect(onB.client.serverUrl).toBe(b.url);
    await until(
      'the link through both instances',
      () => connected(onA, onB) && connected(onB, onA),
      LINK_WAIT_MS,
    );
    await deliver(onA, onB, 'across instances');
    await deliver(onB, onA, 'and back');

    await a.kill();
    await until(
      'on-a moved to instance b',
      () => onA.client.connected && onA.client.serverUrl === b.url,
      LINK_WAIT_MS,
    );
    // The data plane never waited for the control plane.
    await deliver(onA, onB, 'after the instance died');
    expect(connected(onA, onB)).toBe(true);

    // A node arriving now negotiates with on-a through the surviving instance.
    const late = await meshAgent('late', key, [b.url]);
    await until(
      'the late node links with on-a',
      () => connected(late, onA) && connected(onA, late),
      LINK_WAIT_MS,
    );
    await deliver(late, onA, 'new link after failover');
  });
});
