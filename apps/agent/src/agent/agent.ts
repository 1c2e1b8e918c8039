import { type NetDevice, raiseUdpSocketBuffers } from '@rtcmesh/netdev';
import { CandidateAddressFilter } from '@rtcmesh/peer';
import {
  type AgentEvent,
  DEFAULT_DNS_SUFFIX,
  ErrorCode,
  type NetworkInfo,
  type PeerInfo,
  type Route,
  type Welcome,
} from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { ControlClient } from '../control/control-client.js';
import { MeshResolver } from '../dns/mesh-resolver.js';
import { BrowserPeers } from '../links/browser-peer.js';
import { browserSessionEvent } from '../links/browser-session-event.js';
import type { DirectHint } from '../links/direct-hint.js';
import { DirectLinks } from '../links/direct-links.js';
import { LinkAuthenticator } from '../links/link-auth.js';
import { NetworkLock } from '../links/network-lock.js';
import { type LinkEvent, PeerLinks } from '../links/peer-links.js';
import {
  type AgentControl,
  type AgentStatus,
  LocalApiError,
  type NetcheckReport,
  type PingReply,
  type RekeyReply,
  type SetRequest,
  type Settings,
} from '../localapi/schema.js';
import { LocalApiServer } from '../localapi/server.js';
import { formatMobilitySpec } from '../mobility/mobility-spec.js';
import { runNetcheck } from '../netcheck/netcheck.js';
import { PolicyEnforcer } from '../policy/enforcer.js';
import { SignedPolicyGate } from '../policy/signed-policy.js';
import { type CachedMap, directHints, formatAge, offlineWelcome } from '../state/network-map.js';
import { NetworkMapRecorder } from '../state/network-map-recorder.js';
import { AGENT_VERSION } from '../version.js';
import { AgentMobility } from './agent-mobility.js';
import type { AgentOptions } from './agent-options.js';
import { DataPlane } from './data-plane.js';
import { KeyRotation } from './key-rotation.js';
import { OverlayRoutes } from './overlay-routes.js';
import { RuntimeSettings } from './runtime-settings.js';

export type { AgentOptions } from './agent-options.js';
export type { DeviceOpener } from './data-plane.js';

import { networkChange, optionsProblem } from './network-fit.js';
import { PeerSync } from './peer-sync.js';
import { ServerReports } from './server-reports.js';
import { SignalRouter } from './signal-router.js';
import { deviceStatus, healthOf, linkReport, peerStatus } from './status.js';

/** stop() before the agent had a network map: start() returns instead of failing. */
class AgentStoppedError extends Error {}

export type AgentExit =
  | { reason: 'stopped' }
  | { reason: 'removed'; message: string }
  | { reason: 'fatal'; error: Error };

/**
 * One rtcmesh node: the control session, the device, the forwarding engine and the peer links.
 * The first `welcome` configures the device; later ones (after a reconnect) only resync peers, so
 * a signaling outage never touches the data plane.
 */
export class Agent implements AgentControl {
  private readonly log: Logger;
  private readonly control: ControlClient;
  /** The network's access policy, enforced on what peers send (apps/agent/src/policy). */
  private readonly policy: PolicyEnforcer;
  private readonly localApi: LocalApiServer;
  private readonly candidateFilter = new CandidateAddressFilter();
  private browserPeers: BrowserPeers | undefined;
  private links: PeerLinks | undefined;
  private lock: NetworkLock | undefined;
  private keyRotation: KeyRotation | undefined;
  private config: Welcome | undefined;
  /** The device, the forwarding engine, the exit NAT (data-plane.ts). */
  private plane: DataPlane | undefined;
  /** The server's view of the network, recorded for offline starts (state/network-map.ts). */
  private readonly mapRecorder: NetworkMapRecorder;
  /** Where the running configuration came from: the server, or the cache while the server is away. */
  private mapSource: 'server' | 'cache' | undefined;
  /** Set by the first configuration (a welcome, or the cache): later welcomes wait for it, then resync. */
  private setupDone: Promise<void> | undefined;
  /** Link signals through the server, or directly while it is away (signal-router.ts). */
  private readonly signals: SignalRouter;
  /** Every change of the peer set, to the links and everyone who follows them (peer-sync.ts). */
  private readonly peers: PeerSync;
  /** Link signals straight to peers while the server is away (links/direct-links.ts). */
  private direct: DirectLinks | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Telemetry and netcheck for the console (server-reports.ts). */
  private readonly reports: ServerReports;
  private advertiseTimer: NodeJS.Timeout | undefined;
  /** Names for the mesh (dns/mesh-resolver.ts). */
  private resolver: MeshResolver | undefined;
  /** `--mobility`: the anycast gateways and the workloads' host routes (agent-mobility.ts). */
  private mobility: AgentMobility | undefined;
  /** `rtcmesh set` (runtime-settings.ts). */
  private readonly runtimeSettings: RuntimeSettings;
  /** Advertised and accepted routes, the candidate filter, `--exit-node` (overlay-routes.ts). */
  private routes: OverlayRoutes | undefined;
  /** When the control session was last lost (or the agent started without one). */
  private serverLostAt = Date.now();
  private stopping: Promise<void> | undefined;
  private resolveExit!: (exit: AgentExit) => void;
  /** Resolves when the agent has stopped, with why. */
  readonly exited: Promise<AgentExit>;
  private readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (err: Error) => void;

  constructor(private readonly opts: AgentOptions) {
    this.log = opts.logger;
    this.exited = new Promise((r) => (this.resolveExit = r));
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Whoever awaits `ready` sees its rejection; this only keeps an unawaited one from being "unhandled".
    this.ready.catch(() => {});
    this.control =
      opts.control ??
      new ControlClient({
        serverUrls: opts.serverUrls,
        nodeId: opts.nodeId,
        privateKey: opts.privateKey,
        agentVersion: AGENT_VERSION,
        logger: opts.logger.child({ component: 'control' }),
        ...(opts.ca ? { ca: opts.ca } : {}),
        ...(opts.pendingKey ? { pendingKey: opts.pendingKey } : {}),
      });
    this.localApi = new LocalApiServer(opts.socketPath, this);
    this.reports = new ServerReports({
      send: (m) => this.control.send(m),
      connected: () => this.control.connected,
      netcheck: () => this.netcheck(),
      links: () =>
        [...(this.links?.stats() ?? [])].map(([peerId, s]) => ({
          ...linkReport(peerId, s),
          aclDenied: this.policy.deniedFrom(peerId),
        })),
      counters: () => this.plane?.forwarder.counters() ?? {},
      policyCounters: () => this.policy.counters(),
      logger: opts.logger,
    });
    this.mapRecorder = new NetworkMapRecorder(
      opts.networkMap?.store,
      () => this.direct?.hints() ?? new Map(),
      opts.logger.child({ component: 'map' }),
    );
    this.policy = new PolicyEnforcer(opts.logger.child({ component: 'policy' }));
    this.policy.setOwnRoutes([...opts.advertiseRoutes, ...(opts.advertiseExitNode ? ['0.0.0.0/0'] : [])]);
    this.signals = new SignalRouter({
      server: this.control,
      links: () => this.links,
      direct: () => this.direct,
      // A peer's candidates are underlay paths: with an exit node they must stay outside the tunnel.
      observe: (_from, data) => {
        const exit = this.routes?.exit;
        if (!exit) return;
        if (data.kind === 'candidate' && data.candidate) exit.observeCandidates(data.candidate.candidate);
        else if (data.kind === 'description') exit.observeCandidates(data.description.sdp);
      },
      logger: opts.logger,
    });
    this.peers = new PeerSync(
      () => this.links,
      () => ({
        ...(this.direct ? { direct: this.direct } : {}),
        ...(this.plane
          ? {
              forwarder: {
                updatePeer: (p: PeerInfo, up: boolean) => this.plane?.updatePeer(p, up),
                removePeer: (id: string) => this.plane?.forwarder.removePeer(id),
              },
            }
          : {}),
        ...(this.routes
          ? {
              routes: {
                forwardable: (p: PeerInfo) => this.routes?.forwardable(p) ?? p,
                syncKernel: (peers: () => PeerInfo[]) => this.routes?.sync(peers, this.plane?.device),
              },
            }
          : {}),
        // Only with sites up: other sites' claims matter to a node that has gateways of its own.
        ...(this.mobility?.current ? { mobility: this.mobility } : {}),
        presence: (p: PeerInfo) => this.signals.presence(p),
        known: () => this.signals.peersKnown(),
      }),
    );
    this.runtimeSettings = new RuntimeSettings({
      network: () => this.config?.network,
      routes: () => this.routes,
      setMobility: async (network, specs) => {
        if (!this.mobility) throw new LocalApiError('unavailable', 'the agent is still starting');
        await this.mobility.set(network, specs);
      },
      ownRoutesChanged: (own) => this.ownRoutesChanged(own),
      advertise: () => this.advertise(),
      refreshPeers: () => this.peers.refresh(),
      ...(opts.setLogLevel ? { setLogLevel: opts.setLogLevel } : {}),
      current: () => this.settings(),
      ...(opts.settingsStore ? { store: opts.settingsStore } : {}),
      logger: opts.logger,
    });
    this.browserPeers = new BrowserPeers({
      logger: opts.logger.child({ component: 'browser-peers' }),
      sendSignal: (linkId, data) => this.control.send({ type: 'browser-signal', linkId, data }),
      candidateFilter: this.candidateFilter,
      iceServers: () => this.config?.iceServers ?? [],
      access: (principal, ip, port) => this.policy.browserAccess(principal, ip, port),
      onSessionEvent: (e) => this.sendEvent(browserSessionEvent(e)),
    });
  }

  /**
   * Connects, configures the device from the first welcome (or from the cached network map when the
   * server cannot be reached), and serves the local API. Returns early if stop() comes first.
   */
  async start(): Promise<void> {
    this.wireControl();
    this.control.start();
    const waiting = setInterval(
      () =>
        this.log.warn(
          { server: this.control.serverUrl, lastError: this.control.lastError },
          'still waiting for the signaling server',
        ),
      10_000,
    );
    try {
      await this.firstNetworkMap();
    } catch (err) {
      if (err instanceof AgentStoppedError) return;
      throw err;
    } finally {
      clearInterval(waiting);
    }
    if (this.stopping) return;
    await this.localApi.listen();
    this.timers.push(setInterval(() => this.reports.tick(), this.opts.telemetryIntervalMs ?? 5_000));
    this.timers.push(setInterval(() => this.plane?.forwarder.sweep(Date.now()), 1_000));
    this.timers.push(
      setInterval(() => {
        // Hellos only while the server cannot carry signals (links/direct-links.ts).
        if (!this.control.connected || this.mapSource === 'cache') this.direct?.tick();
      }, 1_000),
    );
    // A map the server keeps vouching for stays fresh even when nothing in it changes.
    this.timers.push(
      setInterval(() => {
        if (this.control.connected) this.mapRecorder.confirm();
      }, 10 * 60_000),
    );
  }

  /**
   * The first configuration: the server's welcome, or — when the server does not answer within
   * `offlineAfterMs` and a fresh enough cached map exists — the cache. The server's view replaces the
   * cache when it arrives (resyncFromServer).
   */
  private async firstNetworkMap(): Promise<void> {
    const cache = this.opts.networkMap;
    const loaded =
      cache && cache.maxAgeMs > 0
        ? await cache.store.load(
            { nodeId: this.opts.nodeId, networkId: this.opts.networkId },
            cache.maxAgeMs,
            Date.now(),
          )
        : undefined;
    if (!cache || !loaded?.ok) {
      if (loaded && !loaded.ok && !loaded.missing)
        this.log.warn({ reason: loaded.reason }, 'not starting from the cached network map');
      await this.ready;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const offline = new Promise<'cache'>((r) => {
      timer = setTimeout(() => r('cache'), cache.offlineAfterMs ?? 3000);
    });
    const first = await Promise.race([this.ready.then(() => 'server' as const), offline]).finally(() =>
      clearTimeout(timer),
    );
    if (this.stopping) throw new AgentStoppedError();
    // A welcome that arrived meanwhile is being set up: wait for it like any start.
    if (first === 'server' || this.setupDone) {
      await this.ready;
      return;
    }
    await this.startFromCache(loaded.map, loaded.ageMs, cache.maxAgeMs);
  }

  private async startFromCache(map: CachedMap, ageMs: number, maxAgeMs: number): Promise<void> {
    const { welcome, turnExpired } = offlineWelcome(map, maxAgeMs, Date.now());
    this.log.warn(
      {
        server: this.control.serverUrl,
        lastError: this.control.lastError,
        mapAge: formatAge(ageMs),
        peers: welcome.peers.length,
        turnExpired,
      },
      'signaling server unreachable: starting from the cached network map',
    );
    if (turnExpired)
      this.log.warn('the cached TURN credentials have expired: only direct paths until the server is back');
    this.mapSource = 'cache';
    this.policy.onWelcome(welcome);
    this.setupDone = this.setup(welcome, directHints(map));
    await this.setupDone;
  }
  private wireControl(): void {
    const c = this.control;
    this.policy.attach(c);
    this.mapRecorder.attach(c);
    c.on('welcome', (w) => {
      if (!this.setupDone) {
        this.mapSource = 'server';
        this.setupDone = this.setup(w);
        this.setupDone.then(
          () => this.resolveReady(),
          (err: Error) => {
            this.rejectReady(err);
            void this.stop({ reason: 'fatal', error: err });
          },
        );
        return;
      }
      // A failed setup stops the agent (above, or in start()); a welcome after it has nothing to resync.
      this.setupDone.then(
        () => this.resyncFromServer(w),
        () => {},
      );
    });
    c.on('welcome', () => this.reports.sessionStarted());
    c.on('key-promoted', () => {
      this.opts.keyStore
        .promotePendingKey()
        .catch((err: Error) =>
          this.log.error(
            { err: err.message },
            'the server took the new node key but it could not be saved; the next start uses the pending key',
          ),
        );
    });
    c.on('config', (cfg) => {
      if (cfg.network) void this.observeLock(cfg.network);
      if (cfg.network) this.plane?.applyL2Settings(cfg.network);
      // A rename (rtcmesh-signal node rename) or new tags: status and the resolver follow. Addresses
      // and MAC only ever change with a new join.
      if (cfg.self && this.config)
        this.config = {
          ...this.config,
          self: {
            ...this.config.self,
            name: cfg.self.name,
            ...(cfg.self.tags ? { tags: cfg.self.tags } : {}),
          },
        };
      if (cfg.iceServers && this.config) {
        this.config = { ...this.config, iceServers: cfg.iceServers };
        this.links?.setIceServers(cfg.iceServers);
      }
    });
    c.on('peer-joined', (p) => this.onPeer(p));
    c.on('peer-updated', (p) => this.onPeer(p));
    c.on('peer-left', ({ nodeId, lastSeen }) => this.peers.markOffline(nodeId, lastSeen));
    c.on('peer-removed', (id) => this.peers.remove(id, 'removed by an admin'));
    c.on('signal', (s) => this.signals.receive(s.from, s.data));
    c.on('browser-signal', (s) => this.browserPeers?.handle(s.linkId, s.data, s.proxy));
    c.on('server-error', (e) => {
      if (e.code === ErrorCode.PeerOffline && this.signals.undelivered(e.ref)) return;
      this.log.warn({ code: e.code, ref: e.ref }, `server: ${e.message}`);
    });
    c.on('disconnected', ({ code, reason }) => {
      this.serverLostAt = Date.now();
      this.log.warn({ code, reason }, 'lost the signaling server; links keep forwarding');
    });
    c.on('removed', (message) => void this.stop({ reason: 'removed', message }));
    c.on('fatal', (error) => {
      this.rejectReady(error);
      void this.stop({ reason: 'fatal', error });
    });
  }

  private async setup(w: Welcome, cachedHints?: ReadonlyMap<string, DirectHint>): Promise<void> {
    this.config = w;
    const log = this.log;
    const problem = optionsProblem(this.opts, w.network);
    if (problem) throw new Error(problem);
    const mobility = this.opts.mobility ?? [];
    // Peers' advertised subnets will be routed over the overlay: excluded before the first link starts
    // (libdatachannel cannot reject a pair later; see packages/peer README, "Transports").
    this.routes = await OverlayRoutes.create({
      mode: w.network.mode,
      networkCidr: w.network.cidr,
      networkCidr6: w.network.cidr6,
      device: this.opts.device,
      advertiseRoutes: this.opts.advertiseRoutes,
      acceptRoutes: this.opts.acceptRoutes ?? false,
      exitNode: this.opts.exitNode,
      advertiseExitNode: this.opts.advertiseExitNode ?? false,
      candidateFilter: this.candidateFilter,
      serverUrls: () => [
        this.control.serverUrl,
        ...this.opts.serverUrls,
        ...(this.config?.iceServers ?? []).flatMap((s) => s.urls),
      ],
      onRefused: (r) =>
        this.sendEvent({
          kind: 'route-refused',
          message: `route ${r.prefix} from ${r.peerName} refused: ${r.reason}`.slice(0, 500),
          peerId: r.peerId,
          details: { prefix: r.prefix },
        }),
      mobilityPrefixes: mobility.map((m) => m.prefix),
      logger: log,
    });
    this.routes.updateCandidateFilter(w.peers);
    this.mobility = this.agentMobility(w, this.routes);
    if (mobility.length > 0) await this.mobility.start(mobility);
    this.lock = new NetworkLock(w.network.id, this.opts.keyStore, log.child({ component: 'lock' }));
    await this.lock.load(this.opts.lockKeys ?? []);
    await this.lock.observe(w.network.lockKeys, w.network.lockDisabled);
    const gate = new SignedPolicyGate(
      w.network.id,
      () => this.lock?.keys ?? [],
      this.opts.keyStore,
      log.child({ component: 'policy' }),
    );
    await gate.load();
    this.policy.setGate(gate);
    this.keyRotation = new KeyRotation(w.self.nodeId, this.control, this.opts.keyStore, log);
    if (this.opts.directPort !== null)
      this.direct = await DirectLinks.start(
        {
          selfId: w.self.nodeId,
          networkId: w.network.id,
          ...(this.opts.directPort !== undefined ? { port: this.opts.directPort } : {}),
          privateKey: () => this.control.privateKey,
          links: () => this.links,
          device: this.opts.device,
          onSignal: (from, data) => this.signals.receive(from, data),
          onHintsChanged: () => this.mapRecorder.changed(),
          logger: log.child({ component: 'direct' }),
        },
        cachedHints,
      );
    // The links exist and know the peers before the (slow) device setup: peers start offering the
    // moment they hear we are online, and an offer with nowhere to go would leave the link waiting out
    // a whole connect timeout. Frames arriving before the forwarder exists are dropped.
    this.links = new PeerLinks({
      selfId: w.self.nodeId,
      logger: log.child({ component: 'links' }),
      sendSignal: (to, data) => this.signals.send(to, data),
      onPacket: (peerId, frame) => this.plane?.forwarder.fromPeer(peerId, frame),
      onLinkEvent: (peerId, e) => this.onLinkEvent(peerId, e),
      onLinkMessage: (peerId, body) => this.direct?.onLinkMessage(peerId, body),
      candidateFilter: this.candidateFilter,
      linkAuth: new LinkAuthenticator(w.self.nodeId, () => this.control.privateKey),
      admitPeer: (peer) => this.lock?.admit(peer) ?? null,
      ...(this.opts.linkTuning ? { linkTuning: this.opts.linkTuning } : {}),
      ...(this.opts.transport ? { transport: this.opts.transport } : {}),
    });
    this.links.setIceServers(w.iceServers);
    this.links.sync(w.peers);
    for (const p of w.peers) this.direct?.notePeer(p);
    // Offers that came while this setup began (a peer heard we joined before we had links) go in now.
    this.signals.peersKnown();
    this.plane = await DataPlane.open({
      welcome: w,
      device: this.opts.device,
      bridge: this.opts.bridge,
      mtu: this.opts.mtu,
      assignAddress: this.opts.assignAddress,
      offload: this.opts.offload,
      advertiseExitNode: this.opts.advertiseExitNode ?? false,
      ownRoutes: this.routes.own(),
      bindingSeq: this.routes.bindingSeq,
      receiveFilter: this.policy,
      toPeer: (peerId, frame) => this.links?.sendPacket(peerId, frame) ?? false,
      events: {
        onBindingsChanged: () => this.scheduleAdvertise(),
        onEvent: (e) => this.sendEvent({ kind: e.kind, message: e.message }),
      },
      onDeviceReopened: (d) => this.deviceReopened(d),
      onDeviceFailed: (error) => void this.stop({ reason: 'fatal', error }),
      logger: log,
      devices: this.opts.devices,
      deviceCheck: this.opts.deviceCheck,
    });
    // Peers learned before the forwarder existed (from the welcome, or joined during setup) get their
    // forwarder entries now; a second sync with the welcome's list would forget the latter.
    this.peers.refresh();
    this.advertise();
    await this.startResolver(w);
  }

  /**
   * `<node>.<network>.<suffix>` on the overlay address (dns/mesh-resolver.ts). A resolver that cannot
   * start (port 53 taken, no address) is said and left out: names are a convenience, never a reason
   * not to forward.
   */
  private async startResolver(w: Welcome): Promise<void> {
    const suffix = this.opts.dnsSuffix === undefined ? DEFAULT_DNS_SUFFIX : this.opts.dnsSuffix;
    const address = w.self.addresses.find((a) => !a.includes(':'))?.split('/')[0];
    if (suffix === null || !address || !this.opts.assignAddress) return;
    try {
      this.resolver = await MeshResolver.start({
        network: w.network.name,
        suffix,
        device: this.opts.device,
        address,
        logger: this.log.child({ component: 'dns' }),
        nodes: () => [
          { name: this.config?.self.name ?? w.self.name, addresses: this.config?.self.addresses ?? [] },
          ...this.peers.infos(),
        ],
      });
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message, address },
        'cannot answer DNS for the mesh; names are off',
      );
    }
  }

  /** `--mobility` for this network (agent-mobility.ts; it refuses an L2 network): its routes are this node's. */
  private agentMobility(w: Welcome, routes: OverlayRoutes): AgentMobility {
    return new AgentMobility({
      selfId: w.self.nodeId,
      overlayDevice: this.opts.device,
      routes,
      advertiseRoutes: () => this.opts.advertiseRoutes,
      ...(this.opts.mobilityMaxHosts !== undefined ? { maxHosts: this.opts.mobilityMaxHosts } : {}),
      // At setup the links do not exist yet: the welcome's peers.
      peers: () =>
        (this.links ? this.peers.infos() : w.peers.filter((p) => p.nodeId !== w.self.nodeId)).map((p) =>
          this.peers.forwardable(p),
        ),
      name: (id) =>
        id === w.self.nodeId
          ? (this.config?.self.name ?? w.self.name)
          : (this.links?.get(id)?.info.name ?? this.config?.peers.find((p) => p.nodeId === id)?.name ?? id),
      ownRoutesChanged: (own) => this.ownRoutesChanged(own),
      advertise: () => this.advertise(),
      syncKernelRoutes: () => this.routes?.sync(() => this.peers.infos(), this.plane?.device),
      refreshPeers: () => this.peers.refresh(),
      sendEvent: (e) => this.sendEvent(e),
      logger: this.log,
    });
  }

  /** This node's routes changed (`rtcmesh set`, mobility claims): the policy and the forwarder take them. */
  private ownRoutesChanged(own: Route[]): void {
    this.policy.setOwnRoutes(own.map((r) => r.prefix));
    this.plane?.setOwnRoutes(own);
  }

  /**
   * The device was deleted or broke and is open again (device-supervisor.ts): the routes and policy
   * rules that pointed into the old one went with it.
   */
  private deviceReopened(d: NetDevice): void {
    this.routes
      ?.deviceReopened(() => this.peers.infos(), d)
      .catch((err: Error) => this.log.error({ err: err.message }, 'cannot restore the routes'));
  }

  /** A link came up, went down, changed its path or refused a peer (links/peer-links.ts). */
  private onLinkEvent(peerId: string, e: LinkEvent): void {
    // A new connection brings new ICE sockets: give them buffers for bursts (socket-buffers.ts).
    if (e.kind === 'link-up' || e.kind === 'path-change') this.raiseSocketBuffers();
    if (e.kind === 'link-up' || e.kind === 'path-change')
      this.direct?.linkChanged(peerId, e.kind === 'link-up');
    // Forwarding follows the link: ICMP unreachable and HA fail-over while down (forward/).
    if (e.kind === 'link-up' || e.kind === 'link-down') {
      this.plane?.forwarder.setLinkState(peerId, e.kind === 'link-up', Date.now());
      const name = this.links?.get(peerId)?.info.name ?? peerId;
      this.opts.onLinkChange?.({ id: peerId, name }, e.kind === 'link-up');
    }
    this.sendEvent({ kind: e.kind, message: e.message, peerId });
  }

  private raiseSocketBuffers(): void {
    try {
      raiseUdpSocketBuffers();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot raise UDP socket buffers');
    }
  }

  /**
   * The server's welcome. After an offline start it replaces the cache; if the network itself changed
   * meanwhile (its mode, range or our addresses), the device is wrong: stop, so the service manager
   * starts the agent again from the server's view.
   */
  private resyncFromServer(w: Welcome): void {
    const cfg = this.config;
    if (this.mapSource === 'cache' && cfg) {
      const changed = networkChange(cfg, w);
      if (changed) {
        void this.stop({
          reason: 'fatal',
          error: new Error(
            `${changed} changed while this agent ran from its cached network map; start it again`,
          ),
        });
        return;
      }
      this.log.info('the signaling server is back: its network map replaces the cache');
      this.mapSource = 'server';
    }
    this.resync(w);
  }

  /** A (re)connected session: everything the server knows replaces what we had; links stay up. */
  private resync(w: Welcome): void {
    this.config = { ...w, network: this.config?.network ?? w.network };
    this.plane?.applyL2Settings(w.network);
    void this.observeLock(w.network);
    this.links?.setIceServers(w.iceServers);
    this.peers.replaceAll(w.peers, w.self.nodeId);
    this.advertise();
  }

  /** The server's lock keys (pinned the first time) or a signed disablement (unpinned): then every peer is judged again. */
  private async observeLock(network: Pick<NetworkInfo, 'lockKeys' | 'lockDisabled'>): Promise<void> {
    try {
      if (await this.lock?.observe(network.lockKeys, network.lockDisabled))
        for (const { info } of this.links?.list() ?? []) this.links?.upsert(info);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'cannot pin the network lock keys');
    }
  }

  private onPeer(p: PeerInfo): void {
    if (!this.config || p.nodeId === this.config.self.nodeId) return;
    this.peers.upsert(p);
  }

  private scheduleAdvertise(): void {
    if (this.advertiseTimer) return;
    // Coalesce a burst of learned bindings (a host's ARP + ND at boot) into one message.
    this.advertiseTimer = setTimeout(() => {
      this.advertiseTimer = undefined;
      this.advertise();
    }, 100);
  }

  private advertise(): void {
    if (!this.plane) return;
    if (this.plane.forwarder.mode === 'l2')
      this.control.send({ type: 'advertise', bindings: this.plane.localBindings() });
    else this.control.send({ type: 'advertise', routes: this.routes?.own() ?? [] });
  }

  private sendEvent(event: AgentEvent): void {
    this.control.send({ type: 'event', event });
  }

  // ---- AgentControl (local API) -----------------------------------------------------------------

  status(): AgentStatus {
    const w = this.config;
    if (!w) throw new LocalApiError('unavailable', 'agent is still starting');
    const stats = this.links?.stats() ?? new Map();
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
        ...(this.plane?.l2Settings ? { l2: this.plane.l2Settings } : {}),
      },
      device: this.plane ? deviceStatus(this.plane.device) : null,
      server: {
        url: this.control.serverUrl,
        connected: this.control.connected,
        since: this.control.since ? new Date(this.control.since).toISOString() : null,
        lastError: this.control.lastError,
      },
      health: this.health(),
      settings: this.settings(),
      networkMap: {
        source: this.mapSource ?? 'server',
        confirmedAt: this.mapRecorder.map.lastConfirmedAt
          ? new Date(this.mapRecorder.map.lastConfirmedAt).toISOString()
          : null,
        directPort: this.direct?.port ?? null,
      },
      peers: (this.links?.list() ?? []).map(({ info, refused }) =>
        peerStatus(info, stats.get(info.nodeId), refused?.reason),
      ),
      counters: this.plane?.forwarder.counters() ?? {},
      policy: this.policy.status(),
      ...(this.routes?.peers
        ? {
            routes: this.routes.status({
              offersExit: this.plane?.offersExit ?? false,
              primaries: this.routeChoices(),
            }),
          }
        : {}),
      ...(this.mobility?.current ? { mobility: this.mobility.current.status() } : {}),
      ...(this.resolver ? { dns: this.resolver.status() } : {}),
      ...(this.browserPeers?.sessions().length ? { browserSessions: this.browserPeers.sessions() } : {}),
    };
  }

  /** What needs an operator's eye now (AgentStatus.health). */
  private health(): NonNullable<AgentStatus['health']> {
    return healthOf({
      deviceName: this.opts.device,
      device: this.plane?.deviceHealth,
      serverConnected: this.control.connected,
      serverAwayMs: Date.now() - this.serverLostAt,
      serverError: this.control.lastError,
      fromCache: this.mapSource === 'cache',
      peers: this.links?.list() ?? [],
    });
  }

  private routeChoices(): NonNullable<NonNullable<AgentStatus['routes']>['primaries']> {
    return (
      this.plane?.routeChoices((id) =>
        id === 'local' ? 'this node' : (this.links?.get(id)?.info.name ?? id),
      ) ?? []
    );
  }

  async ping(query: string): Promise<PingReply> {
    const peer = this.links?.find(query);
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
    return runNetcheck(this.config?.iceServers ?? []);
  }

  async rekey(): Promise<RekeyReply> {
    if (!this.keyRotation) throw new LocalApiError('unavailable', 'agent is still starting');
    const r = await this.keyRotation.rotate();
    this.sendEvent({ kind: 'key-rotated', message: 'node key rotated' });
    return r;
  }

  /** `rtcmesh set`: applied live, links stay up (runtime-settings.ts). */
  set(req: SetRequest): Promise<Settings> {
    return this.runtimeSettings.apply(req);
  }

  settings(): Settings {
    const maxAge = this.opts.networkMap?.maxAgeMs;
    return {
      advertiseRoutes: [...(this.routes?.advertiseRoutes ?? this.opts.advertiseRoutes)],
      acceptRoutes: this.routes?.acceptRoutes ?? this.opts.acceptRoutes ?? false,
      mobility: (this.mobility?.specs ?? (this.config ? [] : (this.opts.mobility ?? []))).map(
        formatMobilitySpec,
      ),
      logLevel: this.log.level,
      advertiseExitNode: this.opts.advertiseExitNode ?? false,
      exitNode: this.opts.exitNode ?? null,
      transport: this.opts.transport ?? 'auto',
      offload: this.opts.offload !== false,
      directPort: this.direct?.port ?? null,
      offlineMaxAge: maxAge === undefined ? null : maxAge > 0 ? formatAge(maxAge) : 'never',
    };
  }

  async down(): Promise<void> {
    await this.stop({ reason: 'stopped' });
  }

  /** Closes links (peers hear `bye`), removes the device, ends the session. Idempotent. */
  stop(exit: AgentExit = { reason: 'stopped' }): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info({ reason: exit.reason }, 'agent stopping');
      this.rejectReady(new AgentStoppedError('the agent stopped'));
      for (const t of this.timers) clearInterval(t);
      clearTimeout(this.advertiseTimer);
      // Every step is bounded: a peer or a socket that never answers must not keep a stopping agent
      // (systemd's stop timeout, an admin's removal) waiting.
      const step = (what: string, p: Promise<unknown> | undefined) => this.bounded(what, p);
      // A removed node must not start again from its map (it would offer links its peers refuse).
      await step('closing the network map', this.mapRecorder.close(exit.reason === 'removed'));
      await step(
        'closing links',
        this.links?.close(exit.reason === 'removed' ? 'node removed' : 'agent stopping'),
      );
      await step('closing browser links', this.browserPeers?.close());
      await step('closing the control session', this.control.stop());
      await step('closing the local API', this.localApi.close());
      await step('stopping the mesh resolver', this.resolver?.stop());
      await step('restoring the default route', this.routes?.stop());
      await step('removing the anycast gateways', this.mobility?.stop());
      await step('removing the exit node NAT and the device', this.plane?.close());
      this.direct?.close();
      this.resolveExit(exit);
    })();
    return this.stopping;
  }

  private async bounded(what: string, p: Promise<unknown> | undefined, ms = 3000): Promise<void> {
    if (!p) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), ms);
    });
    try {
      if ((await Promise.race([p, timeout])) === 'timeout')
        this.log.warn({ step: what, ms }, 'shutdown step timed out');
    } catch (err) {
      this.log.warn({ step: what, err: (err as Error).message }, 'shutdown step failed');
    } finally {
      clearTimeout(timer);
    }
  }
}
