import { generateKeyPairSync } from 'node:crypto';
import { CandidateAddressFilter } from '@rtcmesh/peer';
import type { PeerInfo, Welcome } from '@rtcmesh/protocol';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import type { ControlClient } from '../control/control-client.js';
import type { MeshResolver } from '../dns/mesh-resolver.js';
import type { DirectLinks, DirectLinksOptions } from '../links/direct-links.js';
import type { PeerLinks, PeerLinksOptions } from '../links/peer-links.js';
import type { PolicyEnforcer } from '../policy/enforcer.js';
import type { AgentMobility, AgentMobilityOptions } from './agent-mobility.js';
import type { DataPlane, DataPlaneOptions } from './data-plane.js';
import type { KeyRotation } from './key-rotation.js';
import {
  buildNetworkParts,
  type NetworkParts,
  type NetworkPartsDeps,
  type NetworkPartsOptions,
  peerObservers,
} from './network-parts.js';
import type { NetworkTrust, NetworkTrustOptions } from './network-trust.js';
import type { OverlayRoutes, OverlayRoutesOptions } from './overlay-routes.js';
import type { ResolverStartOptions } from './resolver-start.js';

/**
 * buildNetworkParts against fakes: every part is made by a recording fake, so the test sees what is
 * built, in what order, what each part was given, and which parts already existed at that moment.
 */
const log = pino({ level: 'silent' });
const { privateKey } = generateKeyPairSync('ed25519');
const SELF = 'node-self';

function peer(id: string): PeerInfo {
  return {
    nodeId: id,
    name: `name-${id}`,
    publicKey: 'AAAA',
    addresses: ['10.99.0.2/24'],
    mac: '02:00:00:00:00:02',
    online: true,
    lastSeen: null,
    bindings: [],
    routes: [],
  };
}

function welcome(mode: 'l2' | 'l3' = 'l3'): Welcome {
  return {
    type: 'welcome',
    version: 2,
    self: { nodeId: SELF, name: 'self', addresses: ['10.99.0.1/24'], mac: '02:00:00:00:00:01' },
    network: { id: 'net-1', name: 'lab', mode, cidr: '10.99.0.0/24', mtu: 1280 },
    iceServers: [{ urls: ['turn:turn.example:3478'] }],
    peers: [peer('node-b'), peer('node-c')],
    serverTime: 0,
    iceServersExpireAt: null,
  };
}

const MOBILITY = {
  bridge: 'br-site',
  prefix: '10.50.0.0/24',
  gateway: '10.50.0.1',
  mac: '02:aa:00:00:00:01',
};

function build(o: { w?: Welcome; options?: Partial<NetworkPartsOptions> } = {}) {
  const w = o.w ?? welcome();
  const order: string[] = [];
  const given: {
    routes?: OverlayRoutesOptions;
    mobility?: AgentMobilityOptions;
    trust?: NetworkTrustOptions;
    direct?: DirectLinksOptions;
    links?: PeerLinksOptions;
    plane?: DataPlaneOptions;
    resolver?: ResolverStartOptions;
  } = {};
  /** Which parts existed when each one was made. */
  const before: Record<string, string[]> = {};
  const parts: NetworkParts = {};
  const seen = (name: string) => {
    order.push(name);
    before[name] = Object.keys(parts);
  };
  const fromPeer: [string, Buffer][] = [];
  const mobilityPeersAtSetup: string[] = [];
  const policy = { policy: true } as unknown as PolicyEnforcer;
  const candidateFilter = new CandidateAddressFilter();
  const deps: NetworkPartsDeps = {
    options: {
      serverUrls: ['wss://a.example', 'wss://b.example'],
      device: 'rtm0',
      advertiseRoutes: ['192.168.5.0/24'],
      assignAddress: true,
      mtu: 1200,
      keyStore: { store: true } as unknown as NetworkPartsOptions['keyStore'],
      lockKeys: ['op-key'],
      directPort: 4242,
      dnsSuffix: 'mesh.test',
      linkTuning: { connectTimeoutMs: 1234 },
      transport: 'werift',
      ...o.options,
    },
    control: { serverUrl: 'wss://now.example', privateKey } as unknown as ControlClient,
    config: () => w,
    candidateFilter,
    policy,
    announce: {
      event: (e) => order.push(`announce.event ${e.kind}`),
      advertise: () => order.push('announce.advertise'),
      advertiseSoon: () => order.push('announce.advertiseSoon'),
    },
    signals: {
      receive: () => {},
      send: () => true,
      peersKnown: () => order.push('signals.peersKnown'),
    },
    peers: {
      infos: () => [peer('node-b')],
      forwardable: (p) => p,
      refresh: () => order.push('peers.refresh'),
    },
    mapChanged: () => {},
    ownRoutesChanged: () => {},
    fail: () => {},
    logger: log,
    make: {
      routes: async (r) => {
        seen('routes');
        given.routes = r;
        return {
          updateCandidateFilter: (peers: PeerInfo[]) =>
            order.push(`routes.updateCandidateFilter ${peers.length}`),
          own: () => [{ prefix: '192.168.5.0/24', seq: 9 }],
          bindingSeq: 9,
        } as unknown as OverlayRoutes;
      },
      mobility: (m) => {
        seen('mobility');
        given.mobility = m;
        mobilityPeersAtSetup.push(...m.peers().map((p) => p.nodeId));
        return { start: async () => order.push('mobility.start') } as unknown as AgentMobility;
      },
      trust: (t) => {
        seen('trust');
        given.trust = t;
        return { load: async () => order.push('trust.load') } as unknown as NetworkTrust;
      },
      keyRotation: (nodeId) => {
        seen('keyRotation');
        return { nodeId } as unknown as KeyRotation;
      },
      direct: async (d) => {
        seen('direct');
        given.direct = d;
        return {
          notePeer: (p: PeerInfo) => order.push(`direct.notePeer ${p.nodeId}`),
        } as unknown as DirectLinks;
      },
      links: (l) => {
        seen('links');
        given.links = l;
        return {
          setIceServers: () => order.push('links.setIceServers'),
          sync: (peers: PeerInfo[]) => order.push(`links.sync ${peers.length}`),
          get: (id: string) => ({ info: peer(id) }),
        } as unknown as PeerLinks;
      },
      plane: async (p) => {
        seen('plane');
        given.plane = p;
        return {
          forwarder: { fromPeer: (id: string, frame: Buffer) => fromPeer.push([id, frame]) },
        } as unknown as DataPlane;
      },
      resolver: async (r) => {
        seen('resolver');
        given.resolver = r;
        return { resolver: true } as unknown as MeshResolver;
      },
    },
  };
  return {
    done: buildNetworkParts(w, parts, deps),
    parts,
    order,
    given,
    before,
    policy,
    candidateFilter,
    fromPeer,
    mobilityPeersAtSetup,
  };
}

describe('buildNetworkParts', () => {
  test('builds the parts in order: routes before the links, the links before the device', async () => {
    const b = build({ options: { mobility: [MOBILITY] } });
    expect(await b.done).toBe(b.parts);
    expect(b.order).toEqual([
      'routes',
      'routes.updateCandidateFilter 2',
      'mobility',
      'mobility.start',
      'trust',
      'trust.load',
      'keyRotation',
      'direct',
      'links',
      'links.setIceServers',
      'links.sync 2',
      'direct.notePeer node-b',
      'direct.notePeer node-c',
      'signals.peersKnown',
      'plane',
      'peers.refresh',
      'announce.advertise',
      'resolver',
    ]);
    // Each part is published before the next is made: the later ones' callbacks reach it.
    expect(b.before.links).toEqual(['routes', 'mobility', 'trust', 'keyRotation', 'direct']);
    expect(b.before.plane).toContain('links');
    expect(Object.keys(b.parts)).toEqual([...(b.before.resolver ?? []), 'resolver']);
  });

  test('the options reach the parts that use them', async () => {
    const b = build({ options: { mobility: [MOBILITY], exitNode: 'gw', mobilityMaxHosts: 5 } });
    await b.done;
    const { routes, mobility, trust, direct, links, plane, resolver } = b.given;
    expect(routes).toMatchObject({
      mode: 'l3',
      networkCidr: '10.99.0.0/24',
      device: 'rtm0',
      advertiseRoutes: ['192.168.5.0/24'],
      acceptRoutes: false,
      exitNode: 'gw',
      advertiseExitNode: false,
      mobilityPrefixes: ['10.50.0.0/24'],
    });
    expect(routes?.candidateFilter).toBe(b.candidateFilter);
    // The servers in use now, the configured ones and the ICE servers stay outside the overlay.
    expect(routes?.serverUrls()).toEqual([
      'wss://now.example',
      'wss://a.example',
      'wss://b.example',
      'turn:turn.example:3478',
    ]);
    expect(mobility).toMatchObject({ selfId: SELF, overlayDevice: 'rtm0', maxHosts: 5 });
    expect(trust).toMatchObject({ lockKeys: ['op-key'], keyStore: { store: true } });
    expect(trust?.policy).toBe(b.policy);
    expect(direct).toMatchObject({ selfId: SELF, networkId: 'net-1', port: 4242, device: 'rtm0' });
    expect(links).toMatchObject({
      selfId: SELF,
      linkTuning: { connectTimeoutMs: 1234 },
      transport: 'werift',
    });
    expect(links?.candidateFilter).toBe(b.candidateFilter);
    expect(plane).toMatchObject({
      device: 'rtm0',
      mtu: 1200,
      assignAddress: true,
      ownRoutes: [{ prefix: '192.168.5.0/24', seq: 9 }],
      bindingSeq: 9,
    });
    expect(plane?.receiveFilter).toBe(b.policy);
    expect(resolver).toMatchObject({ dnsSuffix: 'mesh.test', device: 'rtm0', assignAddress: true });
    expect(resolver?.nodes()).toEqual([{ name: 'self', addresses: ['10.99.0.1/24'] }, peer('node-b')]);
  });

  test('callbacks reach parts built after them; mobility sees the welcome’s peers until the links exist', async () => {
    const b = build();
    await b.done;
    expect(b.mobilityPeersAtSetup).toEqual(['node-b', 'node-c']);
    expect(b.given.mobility?.peers().map((p) => p.nodeId)).toEqual(['node-b']);
    b.given.links?.onPacket('node-b', Buffer.from([1]));
    expect(b.fromPeer).toEqual([['node-b', Buffer.from([1])]]);
  });

  test('without mobility no site starts; with directPort null no direct signaling', async () => {
    const b = build({ options: { directPort: null } });
    await b.done;
    expect(b.order).not.toContain('mobility.start');
    expect(b.order).not.toContain('direct');
    expect(b.parts.direct).toBeUndefined();
    expect(b.given.links).toBeDefined();
  });

  test('options that do not fit the network are refused before anything is built', async () => {
    const b = build({ w: welcome('l2'), options: { advertiseExitNode: true } });
    await expect(b.done).rejects.toThrow(/L3 network/);
    expect(b.order).toEqual([]);
  });
});

describe('peerObservers', () => {
  test('only the parts that exist follow the peer set', () => {
    expect(peerObservers({})).toEqual({});
    const updated: string[] = [];
    const plane = {
      updatePeer: (p: PeerInfo) => updated.push(p.nodeId),
      forwarder: { removePeer: (id: string) => updated.push(`-${id}`) },
    } as unknown as DataPlane;
    const o = peerObservers({ plane, mobility: { current: undefined } as unknown as AgentMobility });
    expect(Object.keys(o)).toEqual(['forwarder']);
    o.forwarder?.updatePeer(peer('node-b'), true);
    o.forwarder?.removePeer('node-c');
    expect(updated).toEqual(['node-b', '-node-c']);
  });
});
