import type { AgentEvent, IceServer, Welcome } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { Forwarder } from '../forward/forwarder.js';
import type { BrowserPeers } from '../links/browser-peer.js';
import type { PeerLinks } from '../links/peer-links.js';
import {
  type AgentStatus,
  LocalApiError,
  type NetcheckReport,
  type PingReply,
  type RekeyReply,
  type Settings,
} from '../localapi/schema.js';
import { formatMobilitySpec } from '../mobility/mobility-spec.js';
import { runNetcheck } from '../netcheck/netcheck.js';
import { formatAge } from '../state/network-map.js';
import { AGENT_VERSION } from '../version.js';
import type { AgentMobility } from './agent-mobility.js';
import type { AgentOptions } from './agent-options.js';
import type { DataPlane } from './data-plane.js';
import type { OverlayRoutes } from './overlay-routes.js';
import { deviceStatus, healthOf, peerStatus } from './status.js';

/** What the answers read of the control session (control/control-client.ts). */
export interface AnswerServer {
  readonly serverUrl: string;
  readonly connected: boolean;
  /** Epoch ms the session started; null while there is none. */
  readonly since: number | null;
  readonly lastError: string | null;
}

/** What the answers read of the data plane (data-plane.ts). */
export type AnswerPlane = Pick<
  DataPlane,
  'device' | 'deviceHealth' | 'l2Settings' | 'offersExit' | 'routeChoices'
> & {
  readonly forwarder: Pick<Forwarder, 'counters'>;
};

export interface LocalAnswersOptions {
  /** The running configuration; undefined while the agent is still starting. */
  config: () => Welcome | undefined;
  server: AnswerServer;
  /** The parts built from the first configuration: undefined until they exist. */
  links: () => Pick<PeerLinks, 'stats' | 'list' | 'get' | 'find'> | undefined;
  plane: () => AnswerPlane | undefined;
  routes: () => Pick<OverlayRoutes, 'peers' | 'status' | 'advertiseRoutes' | 'acceptRoutes'> | undefined;
  mobility: () => Pick<AgentMobility, 'current' | 'specs'> | undefined;
  resolver: () => { status(): NonNullable<AgentStatus['dns']> } | undefined;
  browserPeers: () => Pick<BrowserPeers, 'sessions'> | undefined;
  keyRotation: () => { rotate(): Promise<RekeyReply> } | undefined;
  /** The access policy's counters and rules (policy/enforcer.ts). */
  policy: { status(): AgentStatus['policy'] };
  /** Where the running configuration came from (network-map-start.ts); undefined reads as the server. */
  mapSource: () => 'server' | 'cache' | undefined;
  /** When the server last vouched for the recorded map (state/network-map-recorder.ts). */
  mapConfirmedAt: () => number;
  /** Direct signaling's UDP port (links/direct-links.ts); undefined while it is off. */
  directPort: () => number | undefined;
  /** When the control session was last lost (or the agent started without one). */
  serverLostAt: () => number;
  /** An event for the server's log (the rotated key). */
  sendEvent: (e: AgentEvent) => void;
  /** The command line's settings, answered until the parts that change them exist. */
  options: Pick<
    AgentOptions,
    | 'device'
    | 'advertiseRoutes'
    | 'acceptRoutes'
    | 'mobility'
    | 'advertiseExitNode'
    | 'exitNode'
    | 'transport'
    | 'offload'
  > & {
    /** `--offline-max-age`: undefined without a cache, 0 for never. */
    offlineMaxAgeMs?: number | undefined;
  };
  logger: Logger;
  /** Tests: the netcheck (default netcheck/netcheck.ts). */
  netcheck?: (iceServers: IceServer[]) => Promise<NetcheckReport>;
}

/**
 * The local API's answers (`rtcmesh status`, `ping`, `netcheck`, `rekey`, the settings in effect),
 * read from the agent's parts as they are now. They change nothing but the node key.
 */
export class LocalAnswers {
  readonly #o: LocalAnswersOptions;

  constructor(options: LocalAnswersOptions) {
    this.#o = options;
  }

  status(): AgentStatus {
    const o = this.#o;
    const w = o.config();
    if (!w) throw new LocalApiError('unavailable', 'agent is still starting');
    const links = o.links();
    const plane = o.plane();
    const routes = o.routes();
    const mobility = o.mobility();
    const resolver = o.resolver();
    const browserSessions = o.browserPeers()?.sessions();
    const confirmedAt = o.mapConfirmedAt();
    const stats = links?.stats() ?? new Map();
    return {
      version: AGENT_VERSION,
      node: {
        id: w.self.nodeId,
        name: w.self.name,
        addresses: w.self.addresses,
        mac: w.network.mode === 'l2' ? w.self.mac : null,
      },
      network: {
        id: w.network.id,
        name: w.network.name,
        mode: w.network.mode,
        cidr: w.network.cidr,
        ...(w.network.cidr6 ? { cidr6: w.network.cidr6 } : {}),
        ...(plane?.l2Settings ? { l2: plane.l2Settings } : {}),
      },
      device: plane ? deviceStatus(plane.device) : null,
      server: {
        url: o.server.serverUrl,
        connected: o.server.connected,
        since: o.server.since ? new Date(o.server.since).toISOString() : null,
        lastError: o.server.lastError,
      },
      health: this.health(),
      settings: this.settings(),
      networkMap: {
        source: o.mapSource() ?? 'server',
        confirmedAt: confirmedAt ? new Date(confirmedAt).toISOString() : null,
        directPort: o.directPort() ?? null,
      },
      peers: (links?.list() ?? []).map(({ info, refused }) =>
        peerStatus(info, stats.get(info.nodeId), refused?.reason),
      ),
      counters: plane?.forwarder.counters() ?? {},
      policy: o.policy.status(),
      ...(routes?.peers
        ? {
            routes: routes.status({
              offersExit: plane?.offersExit ?? false,
              primaries: this.routeChoices(),
            }),
          }
        : {}),
      ...(mobility?.current ? { mobility: mobility.current.status() } : {}),
      ...(resolver ? { dns: resolver.status() } : {}),
      ...(browserSessions?.length ? { browserSessions } : {}),
    };
  }

  /** What needs an operator's eye now (AgentStatus.health). */
  health(): NonNullable<AgentStatus['health']> {
    const o = this.#o;
    return healthOf({
      deviceName: o.options.device,
      device: o.plane()?.deviceHealth,
      serverConnected: o.server.connected,
      serverAwayMs: Date.now() - o.serverLostAt(),
      serverError: o.server.lastError,
      fromCache: o.mapSource() === 'cache',
      peers: o.links()?.list() ?? [],
    });
  }

  /** L3: prefixes several nodes advertise, with the one forwarding now, by name. */
  routeChoices(): NonNullable<NonNullable<AgentStatus['routes']>['primaries']> {
    const links = this.#o.links();
    return (
      this.#o
        .plane()
        ?.routeChoices((id) => (id === 'local' ? 'this node' : (links?.get(id)?.info.name ?? id))) ?? []
    );
  }

  async ping(query: string): Promise<PingReply> {
    const peer = this.#o.links()?.find(query);
    if (!peer) throw new LocalApiError('unknown-peer', `no peer named ${query}`);
    if (peer.link?.currentState !== 'connected') {
      throw new LocalApiError(
        'peer-not-connected',
        `link to ${peer.info.name} is ${peer.link?.currentState ?? 'not started'}`,
      );
    }
    try {
      const r = await peer.link.ping();
      return {
        peer: peer.info.name,
        rttMs: r.rttMs,
        path: r.path,
        remoteAddress: peer.link.path()?.remoteAddress ?? null,
      };
    } catch (err) {
      throw new LocalApiError('timeout', (err as Error).message);
    }
  }

  netcheck(): Promise<NetcheckReport> {
    return (this.#o.netcheck ?? runNetcheck)(this.#o.config()?.iceServers ?? []);
  }

  async rekey(): Promise<RekeyReply> {
    const keyRotation = this.#o.keyRotation();
    if (!keyRotation) throw new LocalApiError('unavailable', 'agent is still starting');
    const r = await keyRotation.rotate();
    this.#o.sendEvent({ kind: 'key-rotated', message: 'node key rotated' });
    return r;
  }

  /** The settings in effect: the running parts', or the command line's while they do not exist. */
  settings(): Settings {
    const o = this.#o;
    const routes = o.routes();
    const maxAge = o.options.offlineMaxAgeMs;
    return {
      advertiseRoutes: [...(routes?.advertiseRoutes ?? o.options.advertiseRoutes)],
      acceptRoutes: routes?.acceptRoutes ?? o.options.acceptRoutes ?? false,
      mobility: (o.mobility()?.specs ?? (o.config() ? [] : (o.options.mobility ?? []))).map(
        formatMobilitySpec,
      ),
      logLevel: o.logger.level,
      advertiseExitNode: o.options.advertiseExitNode ?? false,
      exitNode: o.options.exitNode ?? null,
      transport: o.options.transport ?? 'auto',
      offload: o.options.offload !== false,
      directPort: o.directPort() ?? null,
      offlineMaxAge: maxAge === undefined ? null : maxAge > 0 ? formatAge(maxAge) : 'never',
    };
  }
}
