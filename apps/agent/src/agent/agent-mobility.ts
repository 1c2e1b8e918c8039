import {
  type AgentEvent,
  LIMITS,
  type NetworkInfo,
  type PeerInfo,
  prefixesOverlap,
  type Route,
} from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { LocalApiError } from '../localapi/schema.js';
import { DEFAULT_HOST_CLAIMS } from '../mobility/host-claims.js';
import { Mobility, type MobilityOptions } from '../mobility/mobility.js';
import type { MobilitySiteStatus } from '../mobility/mobility-site.js';
import { formatMobilitySpec, type MobilitySpec } from '../mobility/mobility-spec.js';
import type { MobilityRoutes } from './overlay-routes.js';

/** The running sites (mobility/mobility.ts), as this wiring uses them. */
export type MobilitySites = MobilityRoutes &
  Pick<Mobility, 'specs' | 'status' | 'reconfigure' | 'peersChanged' | 'stop'>;

/** What of the agent's routes mobility changes (overlay-routes.ts). */
export interface MobilityRouteOwner {
  attachMobility(m: MobilityRoutes | undefined): void;
  mobilityChanged(): void;
  own(): Route[];
}

export interface AgentMobilityOptions {
  selfId: string;
  /** The overlay device (TUN). */
  overlayDevice: string;
  routes: MobilityRouteOwner;
  /** Subnet routes this node advertises besides mobility (`--advertise-routes`): room is kept for them. */
  advertiseRoutes: () => readonly string[];
  /** `--mobility-max-hosts`. */
  maxHosts?: number;
  /** The peers as the forwarder sees them (their accepted routes): other sites' claims. */
  peers: () => PeerInfo[];
  name: (nodeId: string) => string;
  /** This node's routes changed: the policy and the forwarder take them. */
  ownRoutesChanged: (own: Route[]) => void;
  /** Tell the server this node's routes (an advertisement). */
  advertise: () => void;
  /** The kernel's routes toward the overlay follow (a claimed host is never routed into it here). */
  syncKernelRoutes: () => void;
  /** Every peer into the forwarder again (after the prefixes changed). */
  refreshPeers: () => void;
  sendEvent: (e: AgentEvent) => void;
  logger: Logger;
  /** Tests: how the sites start (default Mobility.start). */
  start?: (
    o: MobilityOptions,
    specs: readonly MobilitySpec[],
    peers: readonly PeerInfo[],
  ) => Promise<MobilitySites>;
}

/**
 * The agent's side of routed workload mobility (`--mobility`, `rtcmesh set --mobility`): starts,
 * reconfigures and stops the sites (mobility/mobility.ts), and turns their claims into this node's
 * routes, advertisements and kernel routes.
 */
export class AgentMobility {
  readonly #o: AgentMobilityOptions;
  #mobility: MobilitySites | undefined;

  constructor(options: AgentMobilityOptions) {
    this.#o = options;
  }

  /** The sites in effect (undefined: none). */
  get current(): MobilitySites | undefined {
    return this.#mobility;
  }

  get specs(): MobilitySpec[] {
    return this.#mobility?.specs ?? [];
  }

  status(): MobilitySiteStatus[] | undefined {
    return this.#mobility?.status();
  }

  /** Anycast gateways up, the neighbour table read, claims judged against the map's. */
  async start(specs: readonly MobilitySpec[]): Promise<void> {
    const start = this.#o.start ?? ((o, s, p) => Mobility.start(o, s, p));
    const mobility = await start(
      {
        selfId: this.#o.selfId,
        overlayDevice: this.#o.overlayDevice,
        logger: this.#o.logger,
        name: this.#o.name,
        onClaimsChanged: () => this.claimsChanged(),
        onEvent: (e) =>
          this.#o.sendEvent({
            kind: e.kind,
            message: e.message.slice(0, 500),
            ...(e.peerId ? { peerId: e.peerId } : {}),
            details: e.details,
          }),
        maxHostsPerNode: this.hostLimit(),
      },
      specs,
      this.#o.peers(),
    );
    this.#mobility = mobility;
    this.#o.routes.attachMobility(mobility);
    this.#o.ownRoutesChanged(this.#o.routes.own());
  }

  /**
   * `rtcmesh set --mobility`: prefixes added start, removed ones are undone, the others keep their
   * hosts. Refused (LocalApiError) on an L2 network or for a prefix overlapping the overlay.
   */
  async set(network: NetworkInfo, specs: readonly MobilitySpec[]): Promise<void> {
    if (network.mode !== 'l3')
      throw new LocalApiError('bad-request', `--mobility is for L3 networks; ${network.name} is L2`);
    for (const m of specs)
      if (prefixesOverlap(m.prefix, network.cidr))
        throw new LocalApiError('bad-request', `--mobility ${m.prefix} overlaps the network ${network.cidr}`);
    try {
      if (!this.#mobility) {
        if (specs.length > 0) await this.start(specs);
      } else if (specs.length === 0) {
        await this.stop();
      } else {
        await this.#mobility.reconfigure(specs, this.#o.peers());
        this.#o.routes.attachMobility(this.#mobility);
      }
    } catch (err) {
      throw new LocalApiError('bad-request', (err as Error).message);
    }
    this.#o.ownRoutesChanged(this.#o.routes.own());
    this.#o.logger.info({ mobility: specs.map(formatMobilitySpec) }, 'mobility prefixes changed');
    this.#o.advertise();
    this.#o.refreshPeers();
  }

  /** Other sites' claims changed (before the kernel routes follow the peers). */
  peersChanged(peers: readonly PeerInfo[]): void {
    this.#mobility?.peersChanged(peers);
  }

  /** Every gateway undone. */
  async stop(): Promise<void> {
    const m = this.#mobility;
    if (!m) return;
    this.#mobility = undefined;
    this.#o.routes.attachMobility(undefined);
    await m.stop();
  }

  /**
   * Most workload hosts this site advertises: `--mobility-max-hosts` (default 200), and never so many
   * that the whole advertisement would pass the protocol's route limit (the server would refuse all of
   * it).
   */
  hostLimit(): number {
    // Room for up to 8 prefixes, the subnets and the exit routes beside the hosts.
    const room = LIMITS.maxRoutes - 8 - this.#o.advertiseRoutes().length - 2;
    const asked = this.#o.maxHosts ?? DEFAULT_HOST_CLAIMS.maxHosts;
    if (asked > room)
      this.#o.logger.warn(
        { asked, limit: room },
        `--mobility-max-hosts lowered to ${room}: an advertisement holds at most ${LIMITS.maxRoutes} routes`,
      );
    return Math.max(1, Math.min(asked, room));
  }

  /**
   * The workload hosts this site claims changed: advertised at once (a move's convergence waits on
   * it), taken out of (or into) the kernel's routes toward the overlay, and into the forwarder.
   */
  private claimsChanged(): void {
    this.#o.routes.mobilityChanged();
    this.#o.ownRoutesChanged(this.#o.routes.own());
    this.#o.advertise();
    this.#o.syncKernelRoutes();
  }
}
