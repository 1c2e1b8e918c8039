import { interfaceIndex, NeighbourMonitor } from '@rtcmesh/netdev';
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
import type { MobilitySpec } from './mobility-spec.js';

export interface MobilityOptions {
  specs: readonly MobilitySpec[];
  selfId: string;
  /** The overlay device (TUN): the FORWARD rules name it. */
  overlayDevice: string;
  logger: Logger;
  name: (nodeId: string) => string;
  onClaimsChanged: () => void;
  onEvent: (e: MobilityEvent) => void;
  /** The peers known at start (the network map): their claims are known before the table is read. */
  peers: readonly PeerInfo[];
  claims?: Partial<Omit<HostClaimsOptions, 'self' | 'name'>>;
  /** Tests: the host configuration and the neighbour table. */
  hostConfig?: HostConfig;
  neighbours?: (onEvent: Parameters<typeof NeighbourMonitor.open>[0]) => NeighbourControl & { close(): void };
  ifindex?: (name: string) => number | undefined;
}

/**
 * Routed workload mobility (`--mobility`): one MobilitySite per prefix, one subscription to the
 * kernel's neighbour table for all of them, and the timer that ages hosts and ends probes.
 */
export class Mobility {
  private monitor: (NeighbourControl & { close(): void }) | undefined;
  private timer: NodeJS.Timeout | undefined;

  private constructor(readonly sites: MobilitySite[]) {}

  static async start(o: MobilityOptions): Promise<Mobility> {
    let monitor: () => NeighbourControl | undefined = () => undefined;
    const sites: MobilitySite[] = o.specs.map(
      (spec) =>
        new MobilitySite(
          spec,
          new HostClaims({ ...DEFAULT_HOST_CLAIMS, ...o.claims, self: o.selfId, name: o.name }),
          new AnycastGateway(spec, o.overlayDevice, o.logger.child({ component: 'mobility' }), o.hostConfig),
          () => monitor(),
          {
            logger: o.logger.child({ component: 'mobility', prefix: spec.prefix }),
            name: o.name,
            onClaimsChanged: o.onClaimsChanged,
            onEvent: o.onEvent,
          },
        ),
    );
    const m = new Mobility(sites);
    monitor = () => m.monitor;
    const ifindexOf = o.ifindex ?? interfaceIndex;
    const started: MobilitySite[] = [];
    try {
      for (const s of sites) {
        const ifindex = ifindexOf(s.spec.bridge);
        if (ifindex === undefined)
          throw new Error(
            `--mobility: there is no interface ${s.spec.bridge} on this host (create the bridge first)`,
          );
        await s.start(ifindex);
        started.push(s);
      }
      // Other sites' claims first: an entry read from the table that another site claims is probed
      // before it is claimed (HostClaims), never claimed with a stale number.
      m.peersChanged(o.peers);
      const handlers = {
        onEvent: (e: Parameters<MobilitySite['neighbour']>[0]) => {
          const now = Date.now();
          for (const s of sites) s.neighbour(e, now);
        },
        onProblem: (message: string) => o.logger.warn({ component: 'mobility' }, message),
      };
      m.monitor = o.neighbours ? o.neighbours(handlers) : NeighbourMonitor.open(handlers);
    } catch (err) {
      for (const s of started) await s.stop();
      throw err;
    }
    m.timer = setInterval(() => {
      const now = Date.now();
      for (const s of sites) s.tick(now);
    }, 1000);
    m.timer.unref();
    return m;
  }

  /** The mobility prefixes: the overlay must never route them away from this site's LAN. */
  get prefixes(): string[] {
    return this.sites.map((s) => s.spec.prefix);
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
    for (const s of this.sites) await s.stop();
  }
}
