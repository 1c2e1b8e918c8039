import { CandidateAddressFilter } from '@rtcmesh/peer';
import { ErrorCode, type PeerInfo, type Route, type Welcome } from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { ControlClient } from '../control/control-client.js';
import { BrowserPeers } from '../links/browser-peer.js';
import { browserSessionEvent } from '../links/browser-session-event.js';
import type { DirectHint } from '../links/direct-hint.js';
import type {
  AgentControl,
  AgentStatus,
  NetcheckReport,
  PingReply,
  RekeyReply,
  SetRequest,
  Settings,
} from '../localapi/schema.js';
import { LocalApiError } from '../localapi/schema.js';
import { LocalApiServer } from '../localapi/server.js';
import { PolicyEnforcer } from '../policy/enforcer.js';
import { NetworkMapRecorder } from '../state/network-map-recorder.js';
import { AGENT_VERSION } from '../version.js';
import type { AgentOptions } from './agent-options.js';
import { Announcer } from './announcer.js';
import { LocalAnswers } from './local-answers.js';
import { NetworkMapStart } from './network-map-start.js';
import { buildNetworkParts, type NetworkParts, peerObservers } from './network-parts.js';
import { PeerSync } from './peer-sync.js';
import { RuntimeSettings } from './runtime-settings.js';
import { ServerReports } from './server-reports.js';
import { shutdownStep } from './shutdown-step.js';
import { SignalRouter } from './signal-router.js';
import { linkReport } from './status.js';

export type { AgentOptions } from './agent-options.js';
export type { DeviceOpener } from './data-plane.js';

export type AgentExit =
  | { reason: 'stopped' }
  | { reason: 'removed'; message: string }
  | { reason: 'fatal'; error: Error };

/**
 * One rtcmesh node: the control session, the device, the forwarding engine and the peer links. The
 * composition root: it builds the session parts here and the network parts once the first
 * configuration is known (network-parts.ts), wires the control session's events to them, and starts
 * and stops them in order; the first configuration comes from network-map-start.ts, the local API's
 * answers from local-answers.ts.
 */
export class Agent implements AgentControl {
  private readonly log: Logger;
  private readonly control: ControlClient;
  /** The network's access policy, enforced on what peers send (apps/agent/src/policy). */
  private readonly policy: PolicyEnforcer;
  private readonly localApi: LocalApiServer;
  private readonly candidateFilter = new CandidateAddressFilter();
  private browserPeers: BrowserPeers | undefined;
  private config: Welcome | undefined;
  /** Routes, mobility, trust, key rotation, direct signaling, links, device, resolver (network-parts.ts). */
  private readonly net: NetworkParts = {};
  /** The server's view of the network, recorded for offline starts (state/network-map.ts). */
  private readonly mapRecorder: NetworkMapRecorder;
  /** The first configuration, from the server or the cache, and later welcomes (network-map-start.ts). */
  private readonly mapStart: NetworkMapStart;
  /** `rtcmesh status`, `ping`, `netcheck`, `rekey` (local-answers.ts). */
  private readonly answers: LocalAnswers;
  /** Advertisements and events to the server (announcer.ts). */
  private readonly announce: Announcer;
  /** Link signals through the server, or directly while it is away (signal-router.ts). */
  private readonly signals: SignalRouter;
  /** Every change of the peer set, to the links and everyone who follows them (peer-sync.ts). */
  private readonly peers: PeerSync;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Telemetry and netcheck for the console (server-reports.ts). */
  private readonly reports: ServerReports;
  /** `rtcmesh set` (runtime-settings.ts). */
  private readonly runtimeSettings: RuntimeSettings;
  /** When the control session was last lost (or the agent started without one). */
  private serverLostAt = Date.now();
  private stopping: Promise<void> | undefined;
  private resolveExit!: (exit: AgentExit) => void;
  /** Resolves when the agent has stopped, with why. */
  readonly exited: Promise<AgentExit>;

  constructor(private readonly opts: AgentOptions) {
    this.log = opts.logger;
    this.exited = new Promise((r) => (this.resolveExit = r));
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
    this.announce = new Announcer({
      send: (m) => this.control.send(m),
      plane: () => this.net.plane,
      ownRoutes: () => this.net.routes?.own(),
    });
    this.mapStart = new NetworkMapStart({
      nodeId: opts.nodeId,
      networkId: opts.networkId,
      cache: opts.networkMap,
      server: this.control,
      setup: (w, hints) => this.setup(w, hints),
      cachedWelcome: (w) => this.policy.onWelcome(w),
      resync: (w) => this.resync(w),
      config: () => this.config,
      stopping: () => this.stopping !== undefined,
      fail: (error) => void this.stop({ reason: 'fatal', error }),
      logger: opts.logger,
    });
    this.reports = new ServerReports({
      send: (m) => this.control.send(m),
      connected: () => this.control.connected,
      netcheck: () => this.answers.netcheck(),
      links: () =>
        [...(this.net.links?.stats() ?? [])].map(([peerId, s]) => ({
          ...linkReport(peerId, s),
          aclDenied: this.policy.deniedFrom(peerId),
        })),
      counters: () => this.net.plane?.forwarder.counters() ?? {},
      policyCounters: () => this.policy.counters(),
      logger: opts.logger,
    });
    this.mapRecorder = new NetworkMapRecorder(
      opts.networkMap?.store,
      () => this.net.direct?.hints() ?? new Map(),
      opts.logger.child({ component: 'map' }),
    );
    this.policy = new PolicyEnforcer(opts.logger.child({ component: 'policy' }));
    this.policy.setOwnRoutes([...opts.advertiseRoutes, ...(opts.advertiseExitNode ? ['0.0.0.0/0'] : [])]);
    this.signals = new SignalRouter({
      server: this.control,
      links: () => this.net.links,
      direct: () => this.net.direct,
      // A peer's candidates are underlay paths: with an exit node they must stay outside the tunnel.
      observe: (_from, data) => {
        const exit = this.net.routes?.exit;
        if (!exit) return;
        if (data.kind === 'candidate' && data.candidate) exit.observeCandidates(data.candidate.candidate);
        else if (data.kind === 'description') exit.observeCandidates(data.description.sdp);
      },
      logger: opts.logger,
    });
    this.peers = new PeerSync(
      () => this.net.links,
      () => ({
        ...peerObservers(this.net),
        presence: (p: PeerInfo) => this.signals.presence(p),
        known: () => this.signals.peersKnown(),
      }),
    );
    this.runtimeSettings = new RuntimeSettings({
      network: () => this.config?.network,
      routes: () => this.net.routes,
      setMobility: async (network, specs) => {
        if (!this.net.mobility) throw new LocalApiError('unavailable', 'the agent is still starting');
        await this.net.mobility.set(network, specs);
      },
      ownRoutesChanged: (own) => this.ownRoutesChanged(own),
      advertise: () => this.announce.advertise(),
      refreshPeers: () => this.peers.refresh(),
      ...(opts.setLogLevel ? { setLogLevel: opts.setLogLevel } : {}),
      current: () => this.answers.settings(),
      ...(opts.settingsStore ? { store: opts.settingsStore } : {}),
      logger: opts.logger,
    });
    this.browserPeers = new BrowserPeers({
      logger: opts.logger.child({ component: 'browser-peers' }),
      sendSignal: (linkId, data) => this.control.send({ type: 'browser-signal', linkId, data }),
      candidateFilter: this.candidateFilter,
      iceServers: () => this.config?.iceServers ?? [],
      access: (principal, ip, port) => this.policy.browserAccess(principal, ip, port),
      onSessionEvent: (e) => this.announce.event(browserSessionEvent(e)),
    });
    this.answers = new LocalAnswers({
      config: () => this.config,
      server: this.control,
      links: () => this.net.links,
      plane: () => this.net.plane,
      routes: () => this.net.routes,
      mobility: () => this.net.mobility,
      resolver: () => this.net.resolver,
      browserPeers: () => this.browserPeers,
      keyRotation: () => this.net.keyRotation,
      policy: this.policy,
      mapSource: () => this.mapStart.source,
      mapConfirmedAt: () => this.mapRecorder.map.lastConfirmedAt,
      directPort: () => this.net.direct?.port,
      serverLostAt: () => this.serverLostAt,
      sendEvent: (e) => this.announce.event(e),
      options: { ...opts, offlineMaxAgeMs: opts.networkMap?.maxAgeMs },
      logger: opts.logger,
    });
  }

  /**
   * Connects, configures the device from the first welcome (or from the cached network map when the
   * server cannot be reached), and serves the local API. Returns early if stop() comes first.
   */
  async start(): Promise<void> {
    this.wireControl();
    this.control.start();
    if (!(await this.mapStart.first())) return;
    if (this.stopping) return;
    await this.localApi.listen();
    this.timers.push(setInterval(() => this.reports.tick(), this.opts.telemetryIntervalMs ?? 5_000));
    this.timers.push(setInterval(() => this.net.plane?.forwarder.sweep(Date.now()), 1_000));
    this.timers.push(
      setInterval(() => {
        // Hellos only while the server cannot carry signals (links/direct-links.ts).
        if (!this.control.connected || this.mapStart.source === 'cache') this.net.direct?.tick();
      }, 1_000),
    );
    // A map the server keeps vouching for stays fresh even when nothing in it changes.
    this.timers.push(
      setInterval(() => {
        if (this.control.connected) this.mapRecorder.confirm();
      }, 10 * 60_000),
    );
  }

  private wireControl(): void {
    const c = this.control;
    this.policy.attach(c);
    this.mapRecorder.attach(c);
    c.on('welcome', (w) => this.mapStart.welcome(w));
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
      if (cfg.network) void this.net.trust?.observe(cfg.network);
      if (cfg.network) this.net.plane?.applyL2Settings(cfg.network);
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
        this.net.links?.setIceServers(cfg.iceServers);
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
      this.mapStart.failed(error);
      void this.stop({ reason: 'fatal', error });
    });
  }

  /** The first configuration: the network parts are built for it (network-parts.ts). */
  private async setup(w: Welcome, cachedHints?: ReadonlyMap<string, DirectHint>): Promise<void> {
    this.config = w;
    await buildNetworkParts(
      w,
      this.net,
      {
        options: this.opts,
        control: this.control,
        config: () => this.config,
        candidateFilter: this.candidateFilter,
        policy: this.policy,
        announce: this.announce,
        signals: this.signals,
        peers: this.peers,
        mapChanged: () => this.mapRecorder.changed(),
        ownRoutesChanged: (own) => this.ownRoutesChanged(own),
        fail: (error) => void this.stop({ reason: 'fatal', error }),
        logger: this.log,
      },
      cachedHints,
    );
  }

  /** This node's routes changed (`rtcmesh set`, mobility claims): the policy and the forwarder take them. */
  private ownRoutesChanged(own: Route[]): void {
    this.policy.setOwnRoutes(own.map((r) => r.prefix));
    this.net.plane?.setOwnRoutes(own);
  }

  /** A (re)connected session: everything the server knows replaces what we had; links stay up. */
  private resync(w: Welcome): void {
    this.config = { ...w, network: this.config?.network ?? w.network };
    this.net.plane?.applyL2Settings(w.network);
    void this.net.trust?.observe(w.network);
    this.net.links?.setIceServers(w.iceServers);
    this.peers.replaceAll(w.peers, w.self.nodeId);
    this.announce.advertise();
  }

  private onPeer(p: PeerInfo): void {
    if (!this.config || p.nodeId === this.config.self.nodeId) return;
    this.peers.upsert(p);
  }

  // ---- AgentControl (local API): answered by local-answers.ts, `set` by runtime-settings.ts -----

  status(): AgentStatus {
    return this.answers.status();
  }

  ping(query: string): Promise<PingReply> {
    return this.answers.ping(query);
  }

  netcheck(): Promise<NetcheckReport> {
    return this.answers.netcheck();
  }

  rekey(): Promise<RekeyReply> {
    return this.answers.rekey();
  }

  /** `rtcmesh set`: applied live, links stay up (runtime-settings.ts). */
  set(req: SetRequest): Promise<Settings> {
    return this.runtimeSettings.apply(req);
  }

  settings(): Settings {
    return this.answers.settings();
  }

  async down(): Promise<void> {
    await this.stop({ reason: 'stopped' });
  }

  /** Closes links (peers hear `bye`), removes the device, ends the session. Idempotent. */
  stop(exit: AgentExit = { reason: 'stopped' }): Promise<void> {
    this.stopping ??= (async () => {
      this.log.info({ reason: exit.reason }, 'agent stopping');
      this.mapStart.stopped();
      for (const t of this.timers) clearInterval(t);
      this.announce.stop();
      // Every step is bounded (shutdown-step.ts): a peer or a socket that never answers must not keep
      // a stopping agent (systemd's stop timeout, an admin's removal) waiting.
      const step = (what: string, p: Promise<unknown> | undefined) => shutdownStep(this.log, what, p);
      // A removed node must not start again from its map (it would offer links its peers refuse).
      await step('closing the network map', this.mapRecorder.close(exit.reason === 'removed'));
      await step(
        'closing links',
        this.net.links?.close(exit.reason === 'removed' ? 'node removed' : 'agent stopping'),
      );
      await step('closing browser links', this.browserPeers?.close());
      await step('closing the control session', this.control.stop());
      await step('closing the local API', this.localApi.close());
      await step('stopping the mesh resolver', this.net.resolver?.stop());
      await step('restoring the default route', this.net.routes?.stop());
      await step('removing the anycast gateways', this.net.mobility?.stop());
      await step('removing the exit node NAT and the device', this.net.plane?.close());
      this.net.direct?.close();
      this.resolveExit(exit);
    })();
    return this.stopping;
  }
}
