import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateNodeKey, importPrivateKey, type PeerInfo, type ServerMessage } from '@rtcmesh/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { ControlClient } from './control-client.js';
import { MAX_HELD_DURING_WELCOME, MAX_PEERS, PagedWelcome } from './paged-welcome.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const peer = (name: string, n: number): PeerInfo => ({
  nodeId: `n-${name.padEnd(12, 'x')}`,
  name,
  publicKey: `${'B'.repeat(43)}=`,
  addresses: [`10.0.0.${n}/24`],
  mac: `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`,
  online: true,
  lastSeen: null,
  bindings: [],
  routes: [],
});

/** A server that answers `hello` with the messages `script` gives it, as a real one would send them. */
async function scriptedServer(script: ServerMessage[]): Promise<string> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, path: '/ws' });
  wss.on('connection', (ws: WebSocket) =>
    ws.on('message', (data) => {
      if ((JSON.parse(data.toString()) as { type?: string }).type !== 'hello') return;
      for (const m of script) ws.send(JSON.stringify(m));
    }),
  );
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  cleanup.push(
    () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        http.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

const welcome = {
  type: 'welcome' as const,
  version: 2,
  self: { nodeId: 'n-selfxxxxxxxx', name: 'self', addresses: ['10.0.0.1/24'], mac: '02:00:00:00:00:01' },
  network: { id: 'net-1', name: 'one', mode: 'l3' as const, cidr: '10.0.0.0/24', mtu: 1280 },
  iceServers: [],
  serverTime: Date.now(),
  iceServersExpireAt: null,
};

describe('paged welcome assembly', () => {
  test('the last page gives one welcome with every peer, without morePeers, and the held updates in order', () => {
    const w = new PagedWelcome({ ...welcome, peers: [peer('a', 2)], morePeers: true });
    const left: ServerMessage = { type: 'peer-left', nodeId: peer('a', 2).nodeId, lastSeen: 1 };
    const updated: ServerMessage = { type: 'peer-updated', peer: peer('b', 3) };
    expect(w.hold(left)).toBe(true);
    expect(w.add([peer('b', 3)], true)).toBe('more');
    expect(w.hold(updated)).toBe(true);
    const done = w.add([peer('c', 4)], false);
    if (typeof done === 'string') throw new Error(done);
    expect(done.welcome).not.toHaveProperty('morePeers');
    expect(done.welcome.peers.map((p) => p.name)).toEqual(['a', 'b', 'c']);
    expect(done.welcome.network).toEqual(welcome.network);
    expect(done.held).toEqual([left, updated]);
  });

  test('too many held updates or peers are refused', () => {
    const w = new PagedWelcome({ ...welcome, peers: [], morePeers: true });
    const msg: ServerMessage = { type: 'peer-left', nodeId: peer('a', 2).nodeId, lastSeen: 1 };
    let held = 0;
    while (w.hold(msg)) held++;
    expect(held).toBe(MAX_HELD_DURING_WELCOME);
    expect(w.heldCount).toBe(MAX_HELD_DURING_WELCOME);
    const many = Array.from({ length: MAX_PEERS }, () => peer('x', 9));
    expect(w.add(many, true)).toBe('more');
    expect(w.peerCount).toBe(MAX_PEERS);
    expect(w.add([peer('y', 10)], false)).toBe('too-many');
  });
});

test('a paged welcome is one welcome with every page, and updates sent meanwhile follow it in order', async () => {
  const url = await scriptedServer([
    { ...welcome, peers: [peer('a', 2)], morePeers: true },
    { type: 'peer-updated', peer: { ...peer('b', 3), online: false } },
    { type: 'peers', peers: [peer('b', 3)], more: true },
    { type: 'peers', peers: [peer('c', 4)], more: false },
  ] as ServerMessage[]);
  const c = new ControlClient({
    serverUrls: [url],
    nodeId: 'n-selfxxxxxxxx',
    privateKey: importPrivateKey(generateNodeKey().privateKey),
    agentVersion: 't',
    logger: pino({ level: 'silent' }),
  });
  cleanup.push(() => c.stop());
  const seen: string[] = [];
  c.on('welcome', (w) => seen.push(`welcome ${w.peers.map((p) => p.name).join(',')}`));
  const updated = new Promise<void>((resolve) =>
    c.on('peer-updated', (p) => {
      seen.push(`updated ${p.name} online=${p.online}`);
      resolve();
    }),
  );
  c.start();
  await updated;
  // The update arrived before the last page but is newer than the list: it must not be overwritten.
  expect(seen).toEqual(['welcome a,b,c', 'updated b online=false']);
  expect(c.connected).toBe(true);
});
