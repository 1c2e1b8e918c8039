import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { publicKeyOf, type SignalData } from '@rtcmesh/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { DirectSignaling } from './direct-signal.js';

const log = pino({ level: 'silent' });

interface Node {
  id: string;
  key: KeyObject;
  pub: string;
  ds: DirectSignaling;
  got: { from: string; data: SignalData }[];
  restarts: string[];
}

const started: DirectSignaling[] = [];
afterEach(() => {
  for (const d of started.splice(0)) d.close();
});

const offer: SignalData = { kind: 'candidate', gen: 'g1', candidate: null };

async function node(
  id: string,
  known: () => Record<string, string>,
  opts: { networkId?: string; key?: KeyObject; port?: number } = {},
): Promise<Node> {
  const key = opts.key ?? generateKeyPairSync('ed25519').privateKey;
  const got: Node['got'] = [];
  const restarts: string[] = [];
  const ds = new DirectSignaling({
    selfId: id,
    networkId: opts.networkId ?? 'net1',
    port: opts.port ?? 0,
    privateKey: () => key,
    peerKey: (peer) => known()[peer],
    onSignal: (from, data) => got.push({ from, data }),
    onPeerRestart: (peer) => restarts.push(peer),
    logger: log,
  });
  await ds.listen();
  started.push(ds);
  return { id, key, pub: publicKeyOf(key), ds, got, restarts };
}

async function until(what: string, check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Two agents of one network that know each other's keys and where the other listens. */
async function pair(): Promise<{ a: Node; b: Node; keys: Record<string, string> }> {
  const keys: Record<string, string> = {};
  const a = await node('node-a', () => keys);
  const b = await node('node-b', () => keys);
  keys[a.id] = a.pub;
  keys[b.id] = b.pub;
  a.ds.setHint(b.id, { port: b.ds.port!, hosts: ['127.0.0.1'] });
  b.ds.setHint(a.id, { port: a.ds.port!, hosts: ['127.0.0.1'] });
  return { a, b, keys };
}

describe('direct signaling', () => {
  test('a link signal reaches the peer once, and is acked', async () => {
    const { a, b } = await pair();
    expect(a.ds.send(b.id, offer)).toBe(true);
    await until('b to get the signal', () => b.got.length === 1);
    expect(b.got[0]).toEqual({ from: a.id, data: offer });
    await until('the ack', () => a.ds.counters.acked === 1);
    expect(a.ds.counters.retransmits).toBe(0);
  });

  test('a signal to a peer with no known address is not sent', async () => {
    const { a } = await pair();
    expect(a.ds.send('node-z', offer)).toBe(false);
  });

  test('a signal lost on the way is retransmitted until it gets through', async () => {
    const keys: Record<string, string> = {};
    const a = await node('node-a', () => keys);
    const b = await node('node-b', () => keys);
    keys[a.id] = a.pub;
    keys[b.id] = b.pub;
    // a first sends where b is not (a NAT that drops until the peer opens it): a sink swallows it.
    const sink = createSocket('udp4');
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
    a.ds.setHint(b.id, { port: sink.address().port, hosts: ['127.0.0.1'] });
    b.ds.setHint(a.id, { port: a.ds.port!, hosts: ['127.0.0.1'] });
    a.ds.send(b.id, offer);
    await new Promise((r) => setTimeout(r, 100));
    expect(b.got).toHaveLength(0);
    // b says hello: a learns where b really is, and the next retransmit gets there.
    b.ds.hello([a.id], 0);
    await until('the retransmitted signal', () => b.got.length === 1, 4000);
    expect(a.ds.counters.retransmits).toBeGreaterThanOrEqual(1);
    sink.close();
  });

  test('datagrams from unknown nodes, another network or with a bad signature are dropped', async () => {
    const { a, b, keys } = await pair();
    // A node the map does not know (removed): its signals are never delivered.
    const stranger = await node('node-x', () => keys);
    stranger.ds.setHint(b.id, { port: b.ds.port!, hosts: ['127.0.0.1'] });
    stranger.ds.send(b.id, offer);
    await until('the drop', () => (b.ds.counters.dropped['unknown-peer'] ?? 0) >= 1);
    // A node claiming to be a, signing with its own key.
    const impostor = await node(a.id, () => keys);
    impostor.ds.setHint(b.id, { port: b.ds.port!, hosts: ['127.0.0.1'] });
    impostor.ds.send(b.id, offer);
    await until('the bad signature', () => (b.ds.counters.dropped['bad-signature'] ?? 0) >= 1);
    // a's key, but another network.
    const elsewhere = await node(a.id, () => keys, { networkId: 'net2', key: a.key });
    elsewhere.ds.setHint(b.id, { port: b.ds.port!, hosts: ['127.0.0.1'] });
    elsewhere.ds.send(b.id, offer);
    await until('the other network', () => (b.ds.counters.dropped['not-for-us'] ?? 0) >= 1);
    expect(b.got).toHaveLength(0);
  });

  test('garbage and replays are dropped without harm', async () => {
    const { a, b } = await pair();
    const sock = createSocket('udp4');
    const captured: Buffer[] = [];
    // Record a's real datagram on its way to a fake b, then replay it to b twice.
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    sock.on('message', (m) => captured.push(m));
    a.ds.setHint(b.id, { port: sock.address().port, hosts: ['127.0.0.1'] });
    a.ds.send(b.id, offer);
    await until('the capture', () => captured.length >= 1);
    for (const junk of [Buffer.from('not json'), Buffer.from('{"v":1}'), Buffer.alloc(20_000)])
      sock.send(junk, b.ds.port!, '127.0.0.1');
    sock.send(captured[0]!, b.ds.port!, '127.0.0.1');
    sock.send(captured[0]!, b.ds.port!, '127.0.0.1');
    await until('one delivery and one duplicate', () => (b.ds.counters.dropped.duplicate ?? 0) >= 1);
    expect(b.got).toHaveLength(1);
    expect(b.ds.counters.dropped.malformed).toBe(2);
    expect(b.ds.counters.dropped.oversize).toBe(1);
    sock.close();
  });

  test('a stale datagram (outside the clock window) is refused', async () => {
    const keys: Record<string, string> = {};
    let skew = -10 * 60_000;
    const key = generateKeyPairSync('ed25519').privateKey;
    const a = new DirectSignaling({
      selfId: 'node-a',
      networkId: 'net1',
      port: 0,
      privateKey: () => key,
      peerKey: (p) => keys[p],
      onSignal: () => {},
      logger: log,
      now: () => Date.now() + skew,
    });
    await a.listen();
    started.push(a);
    const b = await node('node-b', () => keys);
    keys['node-a'] = publicKeyOf(key);
    keys[b.id] = b.pub;
    a.setHint(b.id, { port: b.ds.port!, hosts: ['127.0.0.1'] });
    a.send(b.id, offer);
    await until('the stale drop', () => (b.ds.counters.dropped.stale ?? 0) >= 1);
    skew = 0;
    expect(b.got).toHaveLength(0);
  });

  test('a hello is answered, and a new boot id reports a restarted peer', async () => {
    const { a, b, keys } = await pair();
    a.ds.hello([b.id], 0);
    await until('b to answer the hello', () => a.ds.counters.received >= 1);
    // a restarts: same key, new process (new boot id).
    a.ds.close();
    const a2 = await node(a.id, () => keys, { key: a.key });
    a2.ds.setHint(b.id, { port: b.ds.port!, hosts: ['127.0.0.1'] });
    a2.ds.hello([b.id], 0);
    await until('b to see the restart', () => b.restarts.length === 1);
    expect(b.restarts).toEqual([a.id]);
    // b now reaches a2 where it came from.
    expect(b.ds.hint(a.id)?.hosts).toContain('127.0.0.1');
  });
});

describe('direct signaling order', () => {
  test('signals are delivered in the order they were sent, whatever order they arrive in', async () => {
    const { a, b } = await pair();
    const sock = createSocket('udp4');
    const captured: Buffer[] = [];
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    sock.on('message', (m) => captured.push(m));
    // a's signals go to a recorder first; they are replayed to b last-first (a lost description
    // retransmitted after its candidates).
    a.ds.setHint(b.id, { port: sock.address().port, hosts: ['127.0.0.1'] });
    const signals: SignalData[] = [0, 1, 2].map((i) => ({
      kind: 'candidate',
      gen: `g${i}`,
      candidate: null,
    }));
    for (const sig of signals) a.ds.send(b.id, sig);
    await until('the capture', () => captured.length >= 3);
    for (const d of captured.slice(0, 3).reverse()) sock.send(d, b.ds.port!, '127.0.0.1');
    await until('delivery', () => b.got.length === 3);
    expect(b.got.map((g) => g.data)).toEqual(signals);
    sock.close();
  });
});

test('a signal made for an earlier incarnation of the receiver is acked but not delivered', async () => {
  const { a, b, keys } = await pair();
  const port = a.ds.port!;
  a.ds.close();
  // b signals a while a is down (a link's offer to a dead peer, retransmitted)...
  b.ds.send(a.id, offer);
  await new Promise((r) => setTimeout(r, 50));
  // ...and a comes back on the same port before b gave up: the retransmit reaches the new a.
  const a2 = await node(a.id, () => keys, { key: a.key, port });
  await until('the stale signal to be acked', () => b.ds.counters.acked === 1, 4000);
  expect(a2.got).toHaveLength(0);
  expect(a2.ds.counters.dropped['before-restart']).toBe(1);
  // What b says now reaches it.
  b.ds.send(a.id, { kind: 'bye', gen: 'g2' });
  await until('the fresh signal', () => a2.got.length === 1);
  expect(a2.got[0]?.data).toEqual({ kind: 'bye', gen: 'g2' });
});
