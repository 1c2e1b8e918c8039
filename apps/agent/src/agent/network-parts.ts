import type { CandidateAddressFilter } from '@rtcmesh/peer';
import type { PeerInfo, Route, Welcome } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { ControlClient } from '../control/control-client.js';
import type { MeshResolver } from '../dns/mesh-resolver.js';
import type { DirectHint } from '../links/direct-hint.js';
import { DirectLinks, type DirectLinksOptions } from '../links/direct-links.js';
import { LinkAuthenticator } from '../links/link-auth.js';
import { PeerLinks, type PeerLinksOptions } from '../links/peer-links.js';
import type { PolicyEnforcer } from '../policy/enforcer.js';
import { AgentMobility, type AgentMobilityOptions } from './agent-mobility.js';
import type { AgentOptions } from './agent-options.js';
import type { Announcer } from './announcer.js';
import { DataPlane, type DataPlaneOptions } from './data-plane.js';
import { KeyRotation } from './key-rotation.js';
import { linkEventHandler } from './link-events.js';
import { optionsProblem } from './network-fit.js';
import { NetworkTrust, type NetworkTrustOptions } from './network-trust.js';
import { OverlayRoutes, type OverlayRoutesOptions } from './overlay-routes.js';
import type { PeerObservers, PeerSync } from './peer-sync.js';
import { type ResolverStartOptions, startResolver } from './resolver-start.js';
import type { SignalRouter } from './signal-router.js';

/**
 * The parts of the agent that depend on the network, built once the first configuration is known.
 * Each is set here as soon as it exists: the later parts' callbacks, and the agent's own parts (signal
 * router, peer sync, local answers), reach the earlier ones while the rest is still being built.
 */
export interface NetworkParts {
  /** Advertised and accepted routes, the candidate filter, `--exit-node` (overlay-routes.ts). */
  routes?: OverlayRoutes;
  /** `--mobility`: the anycast gateways and the workloads' host routes (agent-mobility.ts). */
  mobility?: AgentMobility;
  /** The network lock's pinned keys and the signed policy they vouch for (network-trust.ts). */
  trust?: NetworkTrust;
  keyRotation?: KeyRotation;
  /** Link signals straight to peers while the server is away (links/direct-links.ts). */
  direct?: DirectLinks | undefined;
  links?: PeerLinks;
  /** The device, the forwarding engine, the exit NAT (data-plane.ts). */
  plane?: DataPlane;
  /** Names for the mesh (dns/mesh-resolver.ts); absent when off or when it could not start. */
  resolver?: MeshResolver | undefined;
}

/** The options the network parts are built from (the command line, the state directory). */
export type NetworkPartsOptions = Pick<
  AgentOptions,
  | 'serverUrls'
  | 'device'
  | 'bridge'
  | 'advertiseRoutes'
  | 'acceptRoutes'
  | 'exitNode'
  | 'advertiseExitNode'
  | 'mobility'
  | 'mobilityMaxHosts'
  | 'assignAddress'
  | 'mtu'
  | 'offload'
  | 'linkTuning'
  | 'transport'
  | 'keyStore'
  | 'lockKeys'
  | 'directPort'
  | 'dnsSuffix'
  | 'onLinkChange'
  | 'devices'
  | 'deviceCheck'
>;

/** How each part is made (a seam for tests; default: the real parts). */
export interface NetworkPartMakers {
  routes(o: OverlayRoutesOptions): Promise<OverlayRoutes>;
  mobility(o: AgentMobilityOptions): AgentMobility;
  trust(o: NetworkTrustOptions): NetworkTrust;
  keyRotation(...a: ConstructorParameters<typeof KeyRotation>): KeyRotation;
  direct(
    o: DirectLinksOptions,
    cachedHints?: ReadonlyMap<string, DirectHint>,
  ): Promise<DirectLinks | undefined>;
  links(o: PeerLinksOptions): PeerLinks;
  plane(o: DataPlaneOptions): Promise<DataPlane>;
  resolver(o: ResolverStartOptions): Promise<MeshResolver | undefined>;
}

const REAL_PARTS: NetworkPartMakers = {
  routes: (o) => OverlayRoutes.create(o),
  mobility: (o) => new AgentMobility(o),
  trust: (o) => new NetworkTrust(o),
  keyRotation: (...a) => new KeyRotation(...a),
  direct: (o, hints) => DirectLinks.start(o, hints),
  links: (o) => new PeerLinks(o),
  plane: (o) => DataPlane.open(o),
  resolver: (o) => startResolver(o),
};

/** What the network parts use of the agent's session parts (agent.ts builds those in its constructor). */
export interface NetworkPartsDeps {
  options: NetworkPartsOptions;
  /** The control session: its URL and node key; key rotation runs over it. */
  control: ControlClient;
  /** The configuration in effect (renames, new ICE servers): the welcome, then what followed it. */
  config: () => Welcome | undefined;
  candidateFilter: CandidateAddressFilter;
  /** The access policy: the network lock gates it, and it filters what peers send. */
  policy: PolicyEnforcer;
  /** Advertisements and events to the server (announcer.ts). */
  announce: Pick<Announcer, 'event' | 'advertise' | 'advertiseSoon'>;
  /** Link signals through the server, or directly while it is away (signal-router.ts). */
  signals: Pick<SignalRouter, 'receive' | 'send' | 'peersKnown'>;
  /** The peer set (peer-sync.ts). */
  peers: Pick<PeerSync, 'infos' | 'forwardable' | 'refresh'>;
  /** Direct signaling learned something worth keeping in the network map cache. */
  mapChanged: () => void;
  /** This node's routes changed (`rtcmesh set`, mobility claims): the policy and the forwarder take them. */
  ownRoutesChanged: (own: Route[]) => void;
  /** The device failed for good: the agent stops. */
  fail: (error: Error) => void;
  logger: Logger;
  /** Tests: how each part is made (default: the real parts). */
  make?: Partial<NetworkPartMakers>;
}

/**
 * Builds the network parts for the first configuration `w`, in order, into `parts` (each set as soon
 * as it exists), and returns them. Throws, before building anything, when the options do not fit the
 * network (network-fit.ts).
 */
export async function buildNetworkParts(
  w: Welcome,
  parts: NetworkParts,
  deps: NetworkPartsDeps,
  cachedHints?: ReadonlyMap<string, DirectHint>,
): Promise<NetworkParts> {
  const { options: opts, control, config, signals, announce, peers, logger: log } = deps;
  const make = { ...REAL_PARTS, ...deps.make };
  const problem = optionsProblem(opts, w.network);
  if (problem) throw new Error(problem);
  const mobility = opts.mobility ?? [];
  // Peers' advertised subnets will be routed over the overlay: excluded before the first link starts
  // (libdatachannel cannot reject a pair later; see packages/peer README, "Transports").
  const routes = await make.routes({
    mode: w.network.mode,
    networkCidr: w.network.cidr,
    networkCidr6: w.network.cidr6,
    device: opts.device,
    advertiseRoutes: opts.advertiseRoutes,
    acceptRoutes: opts.acceptRoutes ?? false,
    exitNode: opts.exitNode,
    advertiseExitNode: opts.advertiseExitNode ?? false,
    candidateFilter: deps.candidateFilter,
    serverUrls: () => [
      control.serverUrl,
      ...opts.serverUrls,
      ...(config()?.iceServers ?? []).flatMap((s) => s.urls),
    ],
    onRefused: (r) =>
      announce.event({
        kind: 'route-refused',
        message: `route ${r.prefix} from ${r.peerName} refused: ${r.reason}`.slice(0, 500),
        peerId: r.peerId,
        details: { prefix: r.prefix },
      }),
    mobilityPrefixes: mobility.map((m) => m.prefix),
    logger: log,
  });
  parts.routes = routes;
  routes.updateCandidateFilter(w.peers);
  // `--mobility` for this network (agent-mobility.ts; it refuses an L2 network): its routes are this node's.
  parts.mobility = make.mobility({
    selfId: w.self.nodeId,
    overlayDevice: opts.device,
    routes,
    advertiseRoutes: () => opts.advertiseRoutes,
    ...(opts.mobilityMaxHosts !== undefined ? { maxHosts: opts.mobilityMaxHosts } : {}),
    // At setup the links do not exist yet: the welcome's peers.
    peers: () =>
      (parts.links ? peers.infos() : w.peers.filter((p) => p.nodeId !== w.self.nodeId)).map((p) =>
        peers.forwardable(p),
      ),
    name: (id) =>
      id === w.self.nodeId
        ? (config()?.self.name ?? w.self.name)
        : (parts.links?.get(id)?.info.name ?? config()?.peers.find((p) => p.nodeId === id)?.name ?? id),
    ownRoutesChanged: deps.ownRoutesChanged,
    advertise: () => announce.advertise(),
    syncKernelRoutes: () => parts.routes?.sync(() => peers.infos(), parts.plane?.device),
    refreshPeers: () => peers.refresh(),
    sendEvent: (e) => announce.event(e),
    logger: log,
  });
  if (mobility.length > 0) await parts.mobility.start(mobility);
  parts.trust = make.trust({
    network: w.network,
    keyStore: opts.keyStore,
    lockKeys: opts.lockKeys,
    policy: deps.policy,
    peers: () => parts.links,
    logger: log,
  });
  await parts.trust.load();
  parts.keyRotation = make.keyRotation(w.self.nodeId, control, opts.keyStore, log);
  if (opts.directPort !== null)
    parts.direct = await make.direct(
      {
        selfId: w.self.nodeId,
        networkId: w.network.id,
        ...(opts.directPort !== undefined ? { port: opts.directPort } : {}),
        privateKey: () => control.privateKey,
        links: () => parts.links,
        device: opts.device,
        onSignal: (from, data) => signals.receive(from, data),
        onHintsChanged: deps.mapChanged,
        logger: log.child({ component: 'direct' }),
      },
      cachedHints,
    );
  // The links exist and know the peers before the (slow) device setup: peers start offering the
  // moment they hear we are online, and an offer with nowhere to go would leave the link waiting out
  // a whole connect timeout. Frames arriving before the forwarder exists are dropped.
  const links = make.links({
    selfId: w.self.nodeId,
    logger: log.child({ component: 'links' }),
    sendSignal: (to, data) => signals.send(to, data),
    onPacket: (peerId, frame) => parts.plane?.forwarder.fromPeer(peerId, frame),
    onLinkEvent: linkEventHandler({
      direct: () => parts.direct,
      forwarder: () => parts.plane?.forwarder,
      name: (peerId) => parts.links?.get(peerId)?.info.name ?? peerId,
      onLinkChange: opts.onLinkChange,
      sendEvent: (e) => announce.event(e),
      logger: log,
    }),
    onLinkMessage: (peerId, body) => parts.direct?.onLinkMessage(peerId, body),
    candidateFilter: deps.candidateFilter,
    linkAuth: new LinkAuthenticator(w.self.nodeId, () => control.privateKey),
    admitPeer: (peer) => parts.trust?.admit(peer) ?? null,
    ...(opts.linkTuning ? { linkTuning: opts.linkTuning } : {}),
    ...(opts.transport ? { transport: opts.transport } : {}),
  });
  parts.links = links;
  links.setIceServers(w.iceServers);
  links.sync(w.peers);
  for (const p of w.peers) parts.direct?.notePeer(p);
  // Offers that came while this setup began (a peer heard we joined before we had links) go in now.
  signals.peersKnown();
  parts.plane = await make.plane({
    welcome: w,
    device: opts.device,
    bridge: opts.bridge,
    mtu: opts.mtu,
    assignAddress: opts.assignAddress,
    offload: opts.offload,
    advertiseExitNode: opts.advertiseExitNode ?? false,
    ownRoutes: routes.own(),
    bindingSeq: routes.bindingSeq,
    receiveFilter: deps.policy,
    toPeer: (peerId, frame) => parts.links?.sendPacket(peerId, frame) ?? false,
    events: {
      onBindingsChanged: () => announce.advertiseSoon(),
      onEvent: (e) => announce.event({ kind: e.kind, message: e.message }),
    },
    // The device was deleted or broke and is open again (device-supervisor.ts): the routes and policy
    // rules that pointed into the old one went with it.
    onDeviceReopened: (d) => {
      parts.routes
        ?.deviceReopened(() => peers.infos(), d)
        .catch((err: Error) => log.error({ err: err.message }, 'cannot restore the routes'));
    },
    onDeviceFailed: deps.fail,
    logger: log,
    devices: opts.devices,
    deviceCheck: opts.deviceCheck,
  });
  // Peers learned before the forwarder existed (from the welcome, or joined during setup) get their
  // forwarder entries now; a second sync with the welcome's list would forget the latter.
  peers.refresh();
  announce.advertise();
  parts.resolver = await make.resolver({
    welcome: w,
    dnsSuffix: opts.dnsSuffix,
    assignAddress: opts.assignAddress,
    device: opts.device,
    nodes: () => [
      { name: config()?.self.name ?? w.self.name, addresses: config()?.self.addresses ?? [] },
      ...peers.infos(),
    ],
    logger: log,
  });
  return parts;
}

/** Who of the network parts follows the peer set (peer-sync.ts); a part not built yet is left out. */
export function peerObservers(parts: NetworkParts): PeerObservers {
  return {
    ...(parts.direct ? { direct: parts.direct } : {}),
    ...(parts.plane
      ? {
          forwarder: {
            updatePeer: (p: PeerInfo, up: boolean) => parts.plane?.updatePeer(p, up),
            removePeer: (id: string) => parts.plane?.forwarder.removePeer(id),
          },
        }
      : {}),
    ...(parts.routes
      ? {
          routes: {
            forwardable: (p: PeerInfo) => parts.routes?.forwardable(p) ?? p,
            syncKernel: (peers: () => PeerInfo[]) => parts.routes?.sync(peers, parts.plane?.device),
          },
        }
      : {}),
    // Only with sites up: other sites' claims matter to a node that has gateways of its own.
    ...(parts.mobility?.current ? { mobility: parts.mobility } : {}),
  };
}
