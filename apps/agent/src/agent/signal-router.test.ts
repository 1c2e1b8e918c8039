import type { ClientMessage, PeerInfo, SignalData } from '@rtcmesh/protocol';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { SignalRouter } from './signal-router.js';

const OFFER: SignalData = { kind: 'description', description: { type: 'offer', sdp: 'v=0' } } as SignalData;

function setup(opts: { connected?: boolean; online?: boolean; direct?: boolean; lost?: boolean } = {}) {
  const toServer: ClientMessage[] = [];
  const toDirect: string[] = [];
  const undelivered: string[] = [];
  const handled: string[] = [];
  const peers = new Map<string, { info: PeerInfo }>();
  peers.set('node-b', { info: { nodeId: 'node-b', online: opts.online ?? true } as PeerInfo });
  const server = {
    connected: opts.connected ?? true,
    send: (m: ClientMessage) => {
      toServer.push(m);
      return true;
    },
  };
  const router = new SignalRouter({
    server,
    links: () => ({
      get: (id) => peers.get(id),
      handleSignal: (from) => handled.push(from),
      signalUndelivered: (id) => undelivered.push(id),
    }),
    direct: () =>
      opts.direct === false
        ? undefined
        : {
            send: (to) => {
              toDirect.push(to);
              return true;
            },
            mayHaveLost: () => opts.lost ?? true,
          },
    logger: pino({ level: 'silent' }),
  });
  return { router, server, peers, toServer, toDirect, undelivered, handled };
}

describe('SignalRouter', () => {
  test('through the server while it is there and the peer is online with it, with a request id', () => {
    const s = setup();
    expect(s.router.send('node-b', OFFER)).toBe(true);
    expect(s.toServer).toEqual([{ type: 'signal', to: 'node-b', data: OFFER, id: 's:node-b' }]);
    expect(s.toDirect).toEqual([]);
  });

  test('directly when the server is away or says the peer is offline; nowhere to send is false', () => {
    const away = setup({ connected: false });
    expect(away.router.send('node-b', OFFER)).toBe(true);
    expect(away.toDirect).toEqual(['node-b']);
    const offline = setup({ online: false });
    expect(offline.router.send('node-b', OFFER)).toBe(true);
    expect(offline.toServer).toEqual([]);
    expect(setup({ connected: false, direct: false }).router.send('node-b', OFFER)).toBe(false);
  });

  test("the server's peer-offline error reaches that link; other errors are not ours", () => {
    const s = setup();
    expect(s.router.undelivered('s:node-b')).toBe(true);
    expect(s.router.undelivered('req-7')).toBe(false);
    expect(s.router.undelivered(undefined)).toBe(false);
    expect(s.undelivered).toEqual(['node-b']);
  });

  test('a peer signaled without the server that comes back online is told its offer may be lost', () => {
    const s = setup({ online: false });
    s.router.send('node-b', OFFER);
    s.router.presence({ nodeId: 'node-b', online: true } as PeerInfo);
    expect(s.undelivered).toEqual(['node-b']);
    // Once only, and not for a peer that was never signaled that way.
    s.peers.set('node-b', { info: { nodeId: 'node-b', online: false } as PeerInfo });
    s.router.presence({ nodeId: 'node-b', online: true } as PeerInfo);
    expect(s.undelivered).toEqual(['node-b']);
  });

  test('a direct signal the peer acknowledged is not reported lost', () => {
    const s = setup({ online: false, lost: false });
    s.router.send('node-b', OFFER);
    s.router.presence({ nodeId: 'node-b', online: true } as PeerInfo);
    expect(s.undelivered).toEqual([]);
  });

  test('incoming signals go to the observer, then the links', () => {
    const seen: string[] = [];
    const s = setup();
    const r = new SignalRouter({
      server: s.server,
      links: () => ({
        get: (id) => s.peers.get(id),
        handleSignal: (f) => seen.push(`link:${f}`),
        signalUndelivered: () => {},
      }),
      direct: () => undefined,
      observe: (f) => seen.push(`observe:${f}`),
      logger: pino({ level: 'silent' }),
    });
    r.receive('node-b', OFFER);
    expect(seen).toEqual(['observe:node-b', 'link:node-b']);
  });

  test('a signal from a peer not known yet waits for it: handed to its link once the peer set names it', () => {
    const s = setup();
    s.router.receive('node-c', OFFER);
    s.router.peersKnown();
    expect(s.handled).toEqual([]);
    s.peers.set('node-c', { info: { nodeId: 'node-c', online: true } as PeerInfo });
    s.router.peersKnown();
    expect(s.handled).toEqual(['node-c']);
    s.router.peersKnown();
    expect(s.handled).toEqual(['node-c']);
  });

  test('before the first configuration (no links yet) signals wait too', () => {
    let links: ReturnType<typeof setup>['peers'] | undefined;
    const handled: string[] = [];
    const r = new SignalRouter({
      server: { connected: true, send: () => true },
      links: () =>
        links && {
          get: (id) => links?.get(id),
          handleSignal: (f) => handled.push(f),
          signalUndelivered: () => {},
        },
      direct: () => undefined,
      logger: pino({ level: 'silent' }),
    });
    r.receive('node-b', OFFER);
    r.peersKnown();
    links = new Map([['node-b', { info: { nodeId: 'node-b' } as PeerInfo }]]);
    r.peersKnown();
    expect(handled).toEqual(['node-b']);
  });
});
