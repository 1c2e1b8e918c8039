import { isExitRoute, type PeerInfo } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { defaultGateways, interfaceFacts, serverAddresses } from './host-facts.js';
import { RouteGuard } from './route-guard.js';

/** What installs and removes kernel routes: the TUN device. */
export interface RouteDevice {
  addRoute(prefix: string): Promise<void>;
  removeRoute(prefix: string): Promise<void>;
}

export type RefusedRoute = {
  peerId: string;
  peerName: string;
  prefix: string;
  kind: 'unsafe' | 'not-accepted';
  reason: string;
};

export type PeerRoutesOptions = {
  acceptRoutes: boolean;
  networkCidr: string;
  /** A dual-stack network's IPv6 prefix. */
  networkCidr6?: string | undefined;
  /** Prefixes this node routes itself (`--advertise-routes`): they stay on its LAN. */
  ownRoutes: readonly string[];
  /** The overlay device: its addresses are not the host's underlay. */
  overlayDevice: string;
  /** Signaling and STUN/TURN URLs in use now: the routes that would capture them are refused. */
  serverUrls: () => readonly string[];
  logger: Logger;
  /** An unsafe prefix refused for the first time (for an event the console lists). */
  onRefused?: (r: RefusedRoute) => void;
  /** `--exit-node`: the node (name or id) whose IPv4 exit route this host takes; nobody else's. */
  exitNode?: string | undefined;
  /** `--mobility` prefixes (RouteGuardOptions.mobilityPrefixes). */
  mobilityPrefixes?: readonly string[];
};

/** Server names are resolved at most this often (a sync runs on every peer update). */
const RESOLVE_EVERY_MS = 60_000;

/**
 * L3: which of the peers' advertised prefixes go into the kernel through the overlay device, judged
 * by a RouteGuard against what this host must keep reaching (issue 16), and the kernel kept in step.
 * Syncs run one at a time, in order (concurrent syncs used to interleave adds and removes).
 */
export class PeerRoutes {
  private readonly guard: RouteGuard;
  private readonly installed = new Set<string>();
  private refused = new Map<string, RefusedRoute>();
  private chain: Promise<void> = Promise.resolve();
  private queued = false;
  private servers: { at: number; urls: string; addresses: string[] } | undefined;

  constructor(private o: PeerRoutesOptions) {
    this.guard = new RouteGuard({
      acceptRoutes: o.acceptRoutes,
      networkCidr: o.networkCidr,
      networkCidr6: o.networkCidr6,
      mobilityPrefixes: o.mobilityPrefixes ?? [],
    });
  }

  /** Reads the host's interfaces, gateways and server addresses for the next judgements. */
  async refreshFacts(): Promise<void> {
    this.guard.update({
      ...interfaceFacts([this.o.overlayDevice]),
      gateways: await defaultGateways(),
      servers: await this.serverAddresses(),
    });
  }

  /** Addresses of the signaling and STUN/TURN servers in use; names resolved at most once a minute. */
  async serverAddresses(): Promise<string[]> {
    const urls = [...this.o.serverUrls()];
    const key = urls.join(' ');
    const now = Date.now();
    if (!this.servers || this.servers.urls !== key || now - this.servers.at > RESOLVE_EVERY_MS) {
      this.servers = { at: now, urls: key, addresses: await serverAddresses(urls) };
    }
    return this.servers.addresses;
  }

  /** The peer as the forwarder may see it: only the routes this host accepts. */
  filter(peer: PeerInfo): PeerInfo {
    const routes = peer.routes.filter((r) => this.judge(peer, r.prefix));
    return routes.length === peer.routes.length ? peer : { ...peer, routes };
  }

  /**
   * Accepted prefixes of these peers, our own and the exit route excluded (for the kernel and the ICE
   * candidate filter; the exit route has its own table and bypasses, see ExitRouting).
   */
  wanted(peers: Iterable<PeerInfo>): string[] {
    const own = new Set(this.o.ownRoutes);
    const out = new Set<string>();
    for (const p of peers)
      for (const r of p.routes)
        if (!own.has(r.prefix) && !isExitRoute(r.prefix) && this.judge(p, r.prefix)) out.add(r.prefix);
    return [...out];
  }

  /** The peer chosen with `--exit-node`, once its exit route is approved and offered; else undefined. */
  exitPeer(peers: Iterable<PeerInfo>): PeerInfo | undefined {
    if (!this.o.exitNode) return undefined;
    for (const p of peers)
      if (p.routes.some((r) => r.prefix === '0.0.0.0/0') && this.judge(p, '0.0.0.0/0')) return p;
    return undefined;
  }

  /** Brings the kernel in line with the peers' accepted routes; queued behind any sync under way. */
  sync(peers: () => Iterable<PeerInfo>, device: RouteDevice): Promise<void> {
    // One run at a time (an add and a remove of one prefix never interleave), and a burst of requests
    // while one runs is one more run, with the peers as they are then.
    if (this.queued) return this.chain;
    this.queued = true;
    this.chain = this.chain.then(() => {
      this.queued = false;
      return this.syncNow(peers, device);
    });
    return this.chain;
  }

  /** `rtcmesh set --accept-routes`: judged again at the next sync (links stay up). */
  setAcceptRoutes(accept: boolean): void {
    this.o = { ...this.o, acceptRoutes: accept };
    this.guard.setAcceptRoutes(accept);
  }

  /** `rtcmesh set --mobility`: judged again at the next sync. */
  setMobilityPrefixes(prefixes: readonly string[]): void {
    this.o = { ...this.o, mobilityPrefixes: [...prefixes] };
    this.guard.setMobilityPrefixes(prefixes);
  }

  /** `rtcmesh set --advertise-routes`: our own prefixes are never installed toward the overlay. */
  setOwnRoutes(prefixes: readonly string[]): void {
    this.o = { ...this.o, ownRoutes: [...prefixes] };
  }

  /** The device was re-created: none of our routes exist any more; the next sync installs them all. */
  forgetInstalled(): void {
    this.installed.clear();
  }

  status(): { acceptRoutes: boolean; installed: string[]; refused: RefusedRoute[] } {
    return {
      acceptRoutes: this.o.acceptRoutes,
      installed: [...this.installed].sort(),
      refused: [...this.refused.values()],
    };
  }

  private judge(peer: PeerInfo, prefix: string): boolean {
    const v = isExitRoute(prefix) ? this.judgeExit(peer, prefix) : this.guard.judge(prefix);
    const key = `${peer.nodeId} ${prefix}`;
    if (v.ok) {
      this.refused.delete(key);
      return true;
    }
    const before = this.refused.get(key);
    const r = { peerId: peer.nodeId, peerName: peer.name, prefix, kind: v.kind, reason: v.reason };
    this.refused.set(key, r);
    if (before?.reason !== v.reason) {
      if (v.kind === 'unsafe') {
        this.o.logger.warn({ peer: peer.name, prefix, reason: v.reason }, 'route refused');
        this.o.onRefused?.(r);
      } else {
        this.o.logger.info({ peer: peer.name, prefix, reason: v.reason }, 'route offered, not taken');
      }
    }
    return false;
  }

  /** An exit node's default route: only from the node chosen with --exit-node, IPv4 for now. */
  private judgeExit(
    peer: PeerInfo,
    prefix: string,
  ): { ok: true } | { ok: false; kind: 'not-accepted'; reason: string } {
    const chosen = this.o.exitNode;
    if (!chosen || (chosen !== peer.name && chosen !== peer.nodeId))
      return { ok: false, kind: 'not-accepted', reason: 'an exit node (use it with --exit-node NAME)' };
    if (prefix.includes(':'))
      return { ok: false, kind: 'not-accepted', reason: 'IPv6 through an exit node is not supported yet' };
    return { ok: true };
  }

  private async syncNow(peers: () => Iterable<PeerInfo>, device: RouteDevice): Promise<void> {
    try {
      await this.refreshFacts();
    } catch (err) {
      this.o.logger.warn(
        { err: (err as Error).message },
        'cannot read the host routes; keeping the last facts',
      );
    }
    const list = [...peers()];
    // Refusals of peers that left or stopped advertising are forgotten.
    const live = new Set(list.flatMap((p) => p.routes.map((r) => `${p.nodeId} ${r.prefix}`)));
    for (const key of [...this.refused.keys()]) if (!live.has(key)) this.refused.delete(key);
    const wanted = new Set(this.wanted(list));
    for (const prefix of wanted) {
      if (this.installed.has(prefix)) continue;
      try {
        await device.addRoute(prefix);
        this.installed.add(prefix);
      } catch (err) {
        this.o.logger.error({ prefix, err: (err as Error).message }, 'cannot install route');
      }
    }
    for (const prefix of [...this.installed]) {
      if (wanted.has(prefix)) continue;
      this.installed.delete(prefix);
      await device
        .removeRoute(prefix)
        .catch((err: Error) => this.o.logger.warn({ prefix, err: err.message }, 'cannot remove route'));
    }
  }
}
