import type { CandidateAddressFilter } from '@rtcmesh/peer';
import type { PeerInfo, Route } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { endpointHost } from '../links/direct-links.js';
import { hostCandidateAddresses } from '../links/host-addresses.js';
import type { AgentStatus } from '../localapi/schema.js';
import { ExitRouting } from '../routes/exit-routing.js';
import { defaultRoutes4, interfaceFacts } from '../routes/host-facts.js';
import { PeerRoutes, type RefusedRoute, type RouteDevice } from '../routes/peer-routes.js';

export interface OverlayRoutesOptions {
  mode: 'l2' | 'l3';
  networkCidr: string;
  /** A dual-stack network's IPv6 prefix. */
  networkCidr6?: string | undefined;
  /** The overlay device's name: never an ICE candidate, the target of peers' routes. */
  device: string;
  /** `--advertise-routes`, `--accept-routes`, `--exit-node`, `--advertise-exit-node`. */
  advertiseRoutes: readonly string[];
  acceptRoutes: boolean;
  exitNode?: string | undefined;
  advertiseExitNode: boolean;
  candidateFilter: CandidateAddressFilter;
  /** The signaling and TURN servers' URLs (kept reachable outside the overlay). */
  serverUrls: () => string[];
  onRefused: (r: RefusedRoute) => void;
  /** `--mobility` prefixes: shared with the other sites of each, their workloads' /32s always taken. */
  mobilityPrefixes?: readonly string[];
  logger: Logger;
}

/** What routed workload mobility (mobility/mobility.ts) adds to this node's routes. */
export interface MobilityRoutes {
  readonly prefixes: readonly string[];
  ownRoutes(prefixSeq: number): Route[];
  claimedPrefixes(): string[];
}

/**
 * The agent's routes: what it advertises (and with which seq), which of its peers' prefixes it takes
 * into the kernel (routes/peer-routes.ts guards them), the ICE candidate filter that keeps every
 * overlay-routed address off the underlay, and `--exit-node`. L2 networks only have the filter.
 */
export class OverlayRoutes {
  private advertised: string[];
  private accept: boolean;
  /** A new advertisement takes a higher seq, so peers take it over the old one. */
  private seq = Math.floor(Date.now() / 1000);
  private mobility: MobilityRoutes | undefined;

  private constructor(
    private readonly o: OverlayRoutesOptions,
    readonly peers: PeerRoutes | undefined,
    /** `--exit-node`: default traffic into the overlay, underlay paths kept outside. */
    readonly exit: ExitRouting | undefined,
  ) {
    this.advertised = [...new Set(o.advertiseRoutes)];
    this.accept = o.acceptRoutes;
  }

  static async create(o: OverlayRoutesOptions): Promise<OverlayRoutes> {
    if (o.mode === 'l2') return new OverlayRoutes(o, undefined, undefined);
    const peers = new PeerRoutes({
      exitNode: o.exitNode,
      acceptRoutes: o.acceptRoutes,
      networkCidr: o.networkCidr,
      networkCidr6: o.networkCidr6,
      ownRoutes: o.advertiseRoutes,
      overlayDevice: o.device,
      serverUrls: o.serverUrls,
      logger: o.logger.child({ component: 'routes' }),
      onRefused: o.onRefused,
      mobilityPrefixes: o.mobilityPrefixes ?? [],
    });
    await peers.refreshFacts();
    const exit = o.exitNode
      ? new ExitRouting({
          device: o.device,
          networkCidr: o.networkCidr,
          logger: o.logger.child({ component: 'exit' }),
          connected: () => interfaceFacts([o.device]).connected,
          defaultRoutes: defaultRoutes4,
        })
      : undefined;
    return new OverlayRoutes(o, peers, exit);
  }

  get advertiseRoutes(): readonly string[] {
    return this.advertised;
  }

  get acceptRoutes(): boolean {
    return this.accept;
  }

  /** What this node advertises: its subnets, and the default route when it is an exit node. */
  own(): Route[] {
    const prefixes = [...this.advertised, ...(this.o.advertiseExitNode ? ['0.0.0.0/0'] : [])];
    return [
      ...prefixes.map((prefix) => ({ prefix, seq: this.seq })),
      ...(this.mobility?.ownRoutes(this.seq) ?? []),
    ];
  }

  /**
   * `--mobility` (or `rtcmesh set --mobility`; undefined: none any more): its prefixes and the hosts
   * this site claims are this node's routes from now on.
   */
  attachMobility(m: MobilityRoutes | undefined): void {
    this.mobility = m;
    this.peers?.setMobilityPrefixes(m?.prefixes ?? []);
    this.mobilityChanged();
  }

  /** The hosts this site claims changed: they are never routed toward the overlay here. */
  mobilityChanged(): void {
    this.peers?.setOwnRoutes(this.ownPrefixes());
  }

  private ownPrefixes(): string[] {
    const m = this.mobility;
    return [...this.advertised, ...(m ? [...m.prefixes, ...m.claimedPrefixes()] : [])];
  }

  /** The seq of this node's L2 binding (the same clock as its routes). */
  get bindingSeq(): number {
    return this.seq;
  }

  /** A peer as the forwarder sees it: without the routes this host refuses (routes/route-guard.ts). */
  forwardable(p: PeerInfo): PeerInfo {
    return this.peers?.filter(p) ?? p;
  }

  /**
   * Addresses that are reached through the overlay (its CIDR, subnets other nodes route for us) are
   * never ICE candidates: a link whose path runs through the overlay itself dies with the first loss.
   */
  updateCandidateFilter(peers: Iterable<PeerInfo>): void {
    this.o.candidateFilter.update({
      excludeInterfaces: [this.o.device],
      excludeCidrs: [
        this.o.networkCidr,
        ...(this.o.networkCidr6 ? [this.o.networkCidr6] : []),
        ...(this.peers?.wanted(peers) ?? []),
      ],
      additionalHostAddresses: hostCandidateAddresses([this.o.device]),
    });
  }

  /**
   * L3: the peers' accepted prefixes go into the kernel via the TUN (our own stay on our LAN). They
   * stop being ICE candidates first, so no link ever runs through the overlay itself. Serialized and
   * coalesced (PeerRoutes.sync).
   */
  sync(peers: () => PeerInfo[], device: RouteDevice | undefined): void {
    if (!this.peers || !device) return;
    this.updateCandidateFilter(peers());
    this.peers
      .sync(peers, device)
      .catch((err: Error) => this.o.logger.error({ err: err.message }, 'route sync failed'));
    this.syncExit(peers()).catch((err: Error) =>
      this.o.logger.error({ err: err.message }, 'exit node routing failed'),
    );
  }

  /** The device was re-created: every route (and the exit's table) went with the old one. */
  async deviceReopened(peers: () => PeerInfo[], device: RouteDevice): Promise<void> {
    this.peers?.forgetInstalled();
    if (this.exit?.isActive) await this.exit.deactivate();
    this.sync(peers, device);
  }

  /** `rtcmesh set --accept-routes`. */
  setAcceptRoutes(accept: boolean): boolean {
    if (accept === this.accept) return false;
    this.accept = accept;
    this.peers?.setAcceptRoutes(accept);
    return true;
  }

  /** `rtcmesh set --advertise-routes`: the new list, with a new seq. */
  setAdvertiseRoutes(prefixes: readonly string[]): boolean {
    const next = [...new Set(prefixes)];
    if (next.join() === this.advertised.join()) return false;
    this.advertised = next;
    this.seq = Math.max(this.seq + 1, Math.floor(Date.now() / 1000));
    this.peers?.setOwnRoutes(this.ownPrefixes());
    return true;
  }

  status(extra: Pick<NonNullable<AgentStatus['routes']>, 'offersExit' | 'primaries'>): AgentStatus['routes'] {
    if (!this.peers) return undefined;
    const exit = this.exit;
    return {
      ...this.peers.status(),
      exitNode:
        exit && this.o.exitNode
          ? { name: this.o.exitNode, active: exit.isActive, bypasses: exit.bypasses }
          : null,
      ...extra,
    };
  }

  /** Restores the host's own default route (`--exit-node`) on the way out. */
  async stop(): Promise<void> {
    await this.exit?.deactivate();
  }

  /**
   * `--exit-node`: on once the chosen node's exit route is approved and offered, off when it goes.
   * Before the first packet takes the exit, every underlay address the mesh uses is kept outside.
   */
  private async syncExit(peers: PeerInfo[]): Promise<void> {
    const exit = this.exit;
    if (!exit || !this.peers) return;
    for (const p of peers) if (p.endpoint) exit.keepOutside(endpointHost(p.endpoint));
    const chosen = this.peers.exitPeer(peers);
    if (chosen && !exit.isActive) {
      for (const a of await this.peers.serverAddresses()) exit.keepOutside(a);
      await exit.activate();
    } else if (!chosen && exit.isActive) await exit.deactivate();
  }
}
