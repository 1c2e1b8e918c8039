import { interfaceIndex, type NeighbourEvent, NeighbourMonitor } from '@rtcmesh/netdev';
import type { PeerInfo, Route } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { AnycastGateway, type HostConfig } from './anycast-gateway.js';
import { DEFAULT_HOST_CLAIMS, HostClaims, type HostClaimsOptions } from './host-claims.js';
import {
  type MobilityEvent,
  MobilitySite,
  type MobilitySiteStatus,
  type NeighbourControl,
} from './mobility-site.js';
import { formatMobilitySpec, type MobilitySpec } from './mobility-spec.js';

type NeighbourHandlers = Parameters<typeof NeighbourMonitor.open>[0];

export interface MobilityOptions {
  selfId: string;
  /** The overlay device (TUN): the FORWARD rules name it. */
  overlayDevice: string;
  logger: Logger;
  name: (nodeId: string) => string;
  onClaimsChanged: () => void;
  onEvent: (e: MobilityEvent) => void;
  /** Most workload hosts this node advertises, shared evenly among its prefixes. */
  maxHostsPerNode: number;
  claims?: Partial<Omit<HostClaimsOptions, 'self' | 'name' | 'maxHosts'>>;
  /** Tests: the host configuration and the neighbour table. */
  hostConfig?: HostConfig;
  neighbours?: (h: NeighbourHandlers) => NeighbourControl & { close(): void };
  ifindex?: (name: string) => number | undefined;
}

/**
 * Routed workload mobility (`--mobility`, `rtcmesh set --mobility`): one MobilitySite per prefix, one
 * subscription to the kernel's neighbour table for all of them, and the timer that ages hosts and
 * ends probes.
 */
export class Mobility {
  private sites: MobilitySite[] = [];
  private monitor: (NeighbourControl & { close(): void }) | undefined;
  private readonly timer: NodeJS.Timeout;

  private constructor(private readonly o: MobilityOptions) {
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const s of this.sites) s.tick(now);
    }, 1000);
    this.timer.unref();
  }

  /** Starts the sites of `specs`; `peers` (the network map) are known before the table is read. */
  static async start(
    o: MobilityOptions,
    specs: readonly MobilitySpec[],
    peers: readonly PeerInfo[],
  ): Promise<Mobility> {
    const m = new Mobility(o);
    try {
      await m.reconfigure(specs, peers);
    } catch (err) {
      await m.stop();
      throw err;
    }
    return m;
  }

  /**
   * The prefixes are now `specs`: sites that stay keep their hosts; removed ones undo their gateway
   * (their hosts are withdrawn with the next advertisement); new ones start and read the table.
   */
  async reconfigure(specs: readonly MobilitySpec[], peers: readonly PeerInfo[]): Promise<void> {
    const key = (s: MobilitySpec) => formatMobilitySpec(s);
    const wanted = new Set(specs.map(key));
    const keep = this.sites.filter((s) => wanted.has(key(s.spec)));
    for (const s of this.sites) if (!keep.includes(s)) await s.stop();
    this.sites = keep;
    const added: MobilitySite[] = [];
    for (const spec of specs) {
      if (keep.some((s) => key(s.spec) === key(spec))) continue;
      const ifindex = (this.o.ifindex ?? interfaceIndex)(spec.bridge);
      if (ifindex === undefined)
        throw new Error(
          `--mobility: there is no interface ${spec.bridge} on this host (create the bridge first)`,
        );
      const site = this.site(spec);
      await site.start(ifindex);
      // Other sites' claims first: an entry read from the table that another site claims is probed
      // before it is claimed (HostClaims), never claimed with a stale number.
      site.peersChanged(peers, Date.now());
      this.sites.push(site);
      added.push(site);
    }
    const share = Math.max(1, Math.floor(this.o.maxHostsPerNode / Math.max(1, this.sites.length)));
    for (const s of this.sites) s.setMaxHosts(share);
    if (added.length > 0) {
      this.monitor ??= this.openMonitor();
      // The hosts already on the bridges are claimed before the first advertisement: a restarted
      // agent must not withdraw its hosts for the moment it takes to read the table. Bounded: a
      // kernel that does not answer delays nothing by more than a second.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.monitor.dump(),
        new Promise<void>((r) => {
          timer = setTimeout(r, 1000);
        }),
      ]);
      clearTimeout(timer);
    }
    this.o.onClaimsChanged();
  }

  /** The mobility prefixes: the overlay must never route them away from this site's LAN. */
  get prefixes(): string[] {
    return this.sites.map((s) => s.spec.prefix);
  }

  get specs(): MobilitySpec[] {
    return this.sites.map((s) => s.spec);
  }

  ownRoutes(prefixSeq: number): Route[] {
    return this.sites.flatMap((s) => s.ownRoutes(prefixSeq));
  }

  claimedPrefixes(): string[] {
    return this.sites.flatMap((s) => s.claimedPrefixes());
  }

  peersChanged(peers: readonly PeerInfo[]): void {
    const now = Date.now();
    for (const s of this.sites) s.peersChanged(peers, now);
  }

  status(): MobilitySiteStatus[] {
    const now = Date.now();
    return this.sites.map((s) => s.status(now));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.monitor?.close();
    this.monitor = undefined;
    for (const s of this.sites.splice(0)) await s.stop();
  }

  private site(spec: MobilitySpec): MobilitySite {
    const o = this.o;
    return new MobilitySite(
      spec,
      new HostClaims({
        ...DEFAULT_HOST_CLAIMS,
        ...o.claims,
        maxHosts: o.maxHostsPerNode,
        self: o.selfId,
        name: o.name,
      }),
      new AnycastGateway(spec, o.overlayDevice, o.logger.child({ component: 'mobility' }), o.hostConfig),
      () => this.monitor,
      {
        logger: o.logger.child({ component: 'mobility', prefix: spec.prefix }),
        name: o.name,
        onClaimsChanged: o.onClaimsChanged,
        onEvent: o.onEvent,
      },
    );
  }

  private openMonitor(): NeighbourControl & { close(): void } {
    const handlers: NeighbourHandlers = {
      onEvent: (e: NeighbourEvent) => {
        const now = Date.now();
        for (const s of this.sites) s.neighbour(e, now);
      },
      onProblem: (message: string) => this.o.logger.warn({ component: 'mobility' }, message),
    };
    return this.o.neighbours ? this.o.neighbours(handlers) : NeighbourMonitor.open(handlers);
  }
}
