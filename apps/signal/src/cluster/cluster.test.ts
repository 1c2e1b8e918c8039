import { CloseCode, type ServerMessage } from '@rtcmesh/protocol';
import { pino } from 'pino';
import { afterEach, expect, test } from 'vitest';
import { Feed } from '../feed/feed.js';
import { Metrics } from '../metrics/metrics.js';
import { LatestTelemetry } from '../telemetry/latest.js';
import { Hub, type SessionHandle } from '../ws/hub.js';
import { Cluster } from './cluster.js';
import { MemoryBus, MemoryBusNetwork } from './memory-bus.js';

const heartbeat = { intervalMs: 40, ttlMs: 120 };
const started: Cluster[] = [];
afterEach(async () => {
  for (const c of started.splice(0)) await c.stop();
});

class FakeSession implements SessionHandle {
  readonly received: ServerMessage[] = [];
  ended: { code: number; reason?: string } | null = null;
  constructor(
    readonly nodeId: string,
    readonly networkId = 'net-1',
    readonly endpoint: string | null = '127.0.0.1:1',
  ) {}
  send(msg: ServerMessage): void {
    this.received.push(msg);
  }
  sendRaw(raw: string): void {
    this.received.push(JSON.parse(raw) as ServerMessage);
  }
  end(code: number, bye?: Extract<ServerMessage, { type: 'bye' }>): void {
    this.ended = { code, ...(bye ? { reason: bye.reason } : {}) };
  }
  types(): string[] {
    return this.received.map((m) => m.type);
  }
}

async function instance(network: MemoryBusNetwork, id: string) {
  const hub = new Hub();
  const bus = new MemoryBus(network, { instanceId: id, heartbeat });
  const cluster = new Cluster({
    bus,
    hub,
    feed: new Feed(),
    telemetry: new LatestTelemetry(),
    metrics: new Metrics(false),
    log: pino({ level: 'silent' }),
    resyncMs: 100,
  });
  await cluster.start();
  started.push(cluster);
  /** Authenticates a fake session here, as ws/session.ts + ControlPlane.sessionOnline do. */
  const online = (nodeId: string): { session: FakeSession; since: number } => {
    const session = new FakeSession(nodeId);
    hub.add(session);
    const since = cluster.nextSince();
    const peer = {
      nodeId,
      name: nodeId,
      publicKey: 'k',
      addresses: [],
      mac: '02:00:00:00:00:01',
      online: true,
      lastSeen: since,
      bindings: [],
      routes: [],
    };
    cluster.sessionOnline(
      { nodeId, networkId: 'net-1', endpoint: session.endpoint, since },
      JSON.stringify({ type: 'peer-joined', peer }),
    );
    return { session, since };
  };
  return { hub, bus, cluster, online };
}

/** Waits until `cond` holds (polling the event loop), failing after `ms`. */
async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('presence and relayed signals cross instances', async () => {
  const net = new MemoryBusNetwork();
  const a = await instance(net, 'i-a');
  const b = await instance(net, 'i-b');
  const { session: onB } = b.online('n-b');
  const { session: onA } = a.online('n-a');
  await until(() => onB.types().includes('peer-joined'));
  expect(b.cluster.entry('n-a')).toMatchObject({ instanceId: 'i-a', networkId: 'net-1' });
  expect(a.cluster.onlineCount('net-1')).toBe(2);
  expect(
    b.cluster.relay('net-1', 'n-a', JSON.stringify({ type: 'signal', from: 'n-b', data: { kind: 'x' } })),
  ).toBe(true);
  await until(() => onA.types().includes('signal'));
  expect(onA.received.find((m) => m.type === 'signal')).toMatchObject({ from: 'n-b' });
  // Another network's node is not a relay target.
  expect(b.cluster.relay('net-2', 'n-a', '{}')).toBe(false);
});

test('the newest session of a node wins everywhere; the old one ending announces nothing', async () => {
  const net = new MemoryBusNetwork();
  const a = await instance(net, 'i-a');
  const b = await instance(net, 'i-b');
  const { session: watcher } = b.online('n-w');
  const first = a.online('n-1');
  await until(() => b.cluster.entry('n-1')?.instanceId === 'i-a');
  b.online('n-1');
  await until(() => first.session.ended !== null);
  expect(first.session.ended).toEqual({ code: CloseCode.SessionReplaced, reason: 'session-replaced' });
  expect(a.cluster.entry('n-1')?.instanceId).toBe('i-b');
  // The replaced session's close (ws/session.ts calls this) must not mark the node offline.
  expect(a.cluster.sessionOffline('n-1', 'net-1', first.since, Date.now())).toBe(false);
  await new Promise((r) => setTimeout(r, 20));
  expect(watcher.types()).not.toContain('peer-left');
});

test('an instance that dies without a word loses its sessions from the others within the TTL', async () => {
  const net = new MemoryBusNetwork();
  const a = await instance(net, 'i-a');
  const b = await instance(net, 'i-b');
  const { session: watcher } = b.online('n-w');
  a.online('n-1');
  await until(() => b.cluster.isOnline('n-1'));
  a.bus.crash();
  // Bounded: gone within the TTL plus a sweep (generous margin for a loaded machine).
  await until(() => !b.cluster.isOnline('n-1'), 3000);
  expect(watcher.received).toContainEqual(expect.objectContaining({ type: 'peer-left', nodeId: 'n-1' }));
});

test('a late instance reads in the sessions of those already running', async () => {
  const net = new MemoryBusNetwork();
  const a = await instance(net, 'i-a');
  a.online('n-1');
  const b = await instance(net, 'i-b');
  expect(b.cluster.entry('n-1')?.instanceId).toBe('i-a');
  expect(b.cluster.sessionsByInstance()).toEqual({ 'i-a': 1 });
});

test('removing a node closes its session on whichever instance holds it and drops it from the registry', async () => {
  const net = new MemoryBusNetwork();
  const a = await instance(net, 'i-a');
  const b = await instance(net, 'i-b');
  const { session } = a.online('n-1');
  await until(() => b.cluster.isOnline('n-1'));
  b.cluster.kick('n-1', 'removed by an admin');
  await until(() => session.ended !== null);
  expect(session.ended).toEqual({ code: CloseCode.NodeRemoved, reason: 'node-removed' });
  expect(a.cluster.isOnline('n-1')).toBe(false);
  expect(await a.bus.sessionsOf('i-a')).toEqual([]);
});

test('a lost offline message is repaired by the periodic registry read', async () => {
  const net = new MemoryBusNetwork();
  const a = await instance(net, 'i-a');
  const b = await instance(net, 'i-b');
  const { session: watcher } = b.online('n-w');
  a.online('n-1');
  await until(() => b.cluster.isOnline('n-1'));
  // The session ends on A but the `offline` message never reaches B (a Redis reconnect, say).
  a.bus.unregisterSession('n-1');
  await until(() => !b.cluster.isOnline('n-1'));
  expect(watcher.received).toContainEqual(expect.objectContaining({ type: 'peer-left', nodeId: 'n-1' }));
});

test('an instance whose own heartbeat lapses keeps its own sessions (its peers are not told they left)', async () => {
  const net = new MemoryBusNetwork();
  const a = await instance(net, 'i-a');
  const { session: watcher } = a.online('n-w');
  a.online('n-1');
  // The heartbeat stops (a Redis write that failed, a partition): the others may drop a's sessions,
  // but a itself still holds them in its hub.
  a.bus.partition();
  let expired = false;
  void (async () => {
    while (!expired) {
      expired = !(await a.bus.liveInstances()).has('i-a');
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  await until(() => expired);
  // A sweep that sees its own instance expired.
  await a.cluster.sweep();
  expect(a.cluster.isOnline('n-1')).toBe(true);
  expect(watcher.types()).not.toContain('peer-left');
});
