import { randomBytes } from 'node:crypto';
import {
  type ClientMessage,
  CloseCode,
  ErrorCode,
  negotiateVersion,
  parseClientMessage,
  type RawMessage,
  type ServerMessage,
  SUPPORTED_VERSIONS,
  verifyAuthChallenge,
} from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { type ControlPlane, type ControlPlaneDeps, networkInfo } from '../control-plane/control-plane.js';
import { ControlPlaneError } from '../control-plane/errors.js';
import { welcomePolicy } from '../policy/network-policy.js';
import type { SessionHandle } from './hub.js';
import { type PeerPage, pagePeers, peersPageMessage } from './peer-pages.js';
import { MessageRate } from './rate-limit.js';

export type SessionLimits = {
  maxMessageBytes: number;
  ratePerSecond: number;
  burst: number;
  authTimeoutMs: number;
  /** Outbound bytes queued for a client that does not read; beyond it the session is closed. */
  maxBufferedBytes: number;
};

/** What a session uses of the server besides the mesh: sessions here, presence, the store, counters. */
export type SessionDeps = Pick<ControlPlaneDeps, 'store' | 'hub' | 'cluster' | 'metrics' | 'browserLinks'>;

/** Messages waiting behind a slow (database) one before the session counts as flooding. */
const MAX_PENDING = 64;

type State =
  | { kind: 'await-hello' }
  | {
      kind: 'await-auth';
      nodeId: string;
      nonce: string;
      version: number;
      agentVersion?: string;
      helloAt: number;
    }
  | { kind: 'open'; nodeId: string; networkId: string; version: number }
  | { kind: 'closed' };

/**
 * One WebSocket connection: hello → challenge → auth → welcome, then relay and reports. Every inbound
 * message is size-checked, rate-limited and schema-validated before anything acts on it; a failure is
 * answered with an `error` (and, before authentication or for floods, a close code). Nothing a client
 * sends can throw out of this class.
 */
export class Session implements SessionHandle {
  private state: State = { kind: 'await-hello' };
  private readonly bucket: MessageRate;
  private authTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastRateError = 0;
  /** Messages being handled or waiting (see enqueue). */
  private pending = 0;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly ws: WebSocket,
    private readonly controlPlane: ControlPlane,
    /** The server's parts a session uses besides the mesh's operations. */
    private readonly deps: SessionDeps,
    private readonly limits: SessionLimits,
    readonly endpoint: string | null,
    private readonly log: Logger,
    /** Called once when the session authenticates (ends its handshake for the per-address limit). */
    private readonly onAuthenticated: () => void = () => undefined,
  ) {
    this.bucket = new MessageRate(limits.ratePerSecond, limits.burst);
    this.authTimer = setTimeout(
      () => this.fail(ErrorCode.AuthTimeout, 'no auth in time', CloseCode.AuthTimeout),
      limits.authTimeoutMs,
    );
    ws.on('message', (data, isBinary) => this.onMessage(data as RawMessage, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => this.log.debug({ err: err.message }, 'socket error'));
  }

  /** Set once authenticated (empty before); kept after close so the hub can still find this session. */
  nodeId = '';
  networkId = '';
  /** When it authenticated (strictly increasing per instance): the newest session of a node wins. */
  since = 0;

  send(msg: ServerMessage): void {
    this.sendRaw(JSON.stringify(msg));
  }

  sendRaw(raw: string): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.limits.maxBufferedBytes) {
      // Queuing more for a client that does not read would grow memory without bound.
      this.log.warn({ node: this.nodeId }, 'closing slow consumer');
      this.deps.metrics.limited.inc({ limit: 'ws-slow-consumer' });
      this.ws.close(CloseCode.SlowConsumer, 'slow consumer');
      this.ws.terminate();
      return;
    }
    this.ws.send(raw);
  }

  end(code: number, bye?: Extract<ServerMessage, { type: 'bye' }>): void {
    if (bye) this.send(bye);
    this.ws.close(code, bye?.reason ?? '');
  }

  private error(code: ErrorCode, message: string, ref?: string): void {
    this.deps.metrics.errors.inc({ code });
    const msg: ServerMessage = { type: 'error', code, message };
    if (ref !== undefined) msg.ref = ref;
    this.send(msg);
  }

  private fail(code: ErrorCode, message: string, closeCode: number, ref?: string): void {
    this.deps.metrics.rejected.inc({ reason: code });
    this.error(code, message, ref);
    this.ws.close(closeCode, code);
  }

  private onMessage(data: RawMessage, isBinary: boolean): void {
    if (this.state.kind === 'closed') return;
    const metrics = this.deps.metrics;
    if (!this.bucket.take()) {
      metrics.rejected.inc({ reason: ErrorCode.RateLimited });
      metrics.limited.inc({ limit: 'ws-message-rate' });
      if (this.bucket.flooding) {
        this.fail(ErrorCode.RateLimited, 'flooding: disconnected', CloseCode.RateLimited);
        return;
      }
      const now = Date.now();
      if (now - this.lastRateError >= 1000) {
        this.lastRateError = now;
        this.error(ErrorCode.RateLimited, `over ${this.limits.ratePerSecond} messages/s: message dropped`);
      }
      return;
    }
    if (isBinary) {
      metrics.rejected.inc({ reason: ErrorCode.BadMessage });
      if (this.state.kind !== 'open') {
        this.fail(ErrorCode.BadMessage, 'binary messages are not accepted', CloseCode.ProtocolError);
        return;
      }
      this.error(ErrorCode.BadMessage, 'binary messages are not accepted');
      return;
    }
    const parsed = parseClientMessage(data, { maxBytes: this.limits.maxMessageBytes });
    if (!parsed.ok) {
      metrics.rejected.inc({ reason: parsed.code });
      if (parsed.code === ErrorCode.TooLarge) {
        metrics.limited.inc({ limit: 'ws-message-size' });
        this.fail(parsed.code, parsed.error, CloseCode.MessageTooBig, parsed.ref);
        return;
      }
      // Before authentication there is no reason to be lenient.
      if (this.state.kind !== 'open') {
        this.fail(parsed.code, parsed.error, CloseCode.ProtocolError, parsed.ref);
        return;
      }
      this.error(parsed.code, parsed.error, parsed.ref);
      return;
    }
    metrics.messages.inc({ type: parsed.message.type });
    this.enqueue(parsed.message);
  }

  /**
   * Messages are handled in arrival order. Most (signal, ping) finish synchronously; the ones that
   * touch the database (auth, advertise, status) take a while, and whatever arrives meanwhile waits
   * behind them, at most MAX_PENDING messages (beyond that the client is flooding: it is disconnected).
   */
  private enqueue(msg: ClientMessage): void {
    if (this.pending === 0) {
      const running = this.handle(msg);
      if (running) this.track(running);
      return;
    }
    if (this.pending >= MAX_PENDING) {
      this.fail(ErrorCode.RateLimited, 'too many messages waiting: disconnected', CloseCode.RateLimited);
      return;
    }
    this.track(this.tail.then(() => (this.state.kind === 'closed' ? undefined : this.handle(msg))));
  }

  private track(p: Promise<void>): void {
    this.pending++;
    this.tail = p.finally(() => {
      this.pending--;
    });
  }

  /** Runs one message; never throws or rejects (errors are answered to the client). */
  private handle(msg: ClientMessage): Promise<void> | undefined {
    const onError = (err: unknown): void => {
      if (err instanceof ControlPlaneError) {
        this.error(err.code, err.message, msg.id);
        return;
      }
      this.log.error({ err, type: msg.type }, 'message handler failed');
      this.error(ErrorCode.Internal, 'internal error', msg.id);
    };
    try {
      return this.dispatch(msg)?.catch(onError);
    } catch (err) {
      onError(err);
      return undefined;
    }
  }

  private dispatch(msg: ClientMessage): Promise<void> | undefined {
    const st = this.state;
    if (st.kind === 'await-hello') {
      if (msg.type !== 'hello') {
        this.fail(ErrorCode.ProtocolViolation, 'expected hello', CloseCode.ProtocolError, msg.id);
        return;
      }
      const version = negotiateVersion(msg.versions);
      if (version === null) {
        this.fail(
          ErrorCode.UnsupportedVersion,
          `no common protocol version: server speaks ${JSON.stringify(SUPPORTED_VERSIONS)}, client offered ${JSON.stringify(msg.versions)}`,
          CloseCode.UnsupportedVersion,
          msg.id,
        );
        return;
      }
      const nonce = randomBytes(32).toString('base64url');
      this.state = {
        kind: 'await-auth',
        nodeId: msg.nodeId,
        nonce,
        version,
        agentVersion: msg.agentVersion,
        helloAt: performance.now(),
      };
      // A challenge is sent even for unknown node ids, so ids cannot be probed without a key.
      this.send({ type: 'challenge', nonce, version });
      return;
    }
    if (st.kind === 'await-auth') {
      if (msg.type !== 'auth') {
        this.fail(ErrorCode.ProtocolViolation, 'expected auth', CloseCode.ProtocolError, msg.id);
        return;
      }
      return this.authenticate(st, msg.signature, msg.id);
    }
    if (st.kind !== 'open') return;
    switch (msg.type) {
      case 'hello':
      case 'auth':
        this.error(ErrorCode.ProtocolViolation, 'session is already authenticated', msg.id);
        return;
      case 'signal':
        return this.relay(st, msg.to, msg, msg.id);
      case 'advertise':
        return this.controlPlane.advertise(st.nodeId, msg);
      case 'telemetry':
        this.controlPlane.recordTelemetry(st.nodeId, st.networkId, msg.links, {
          ...(msg.partial ? { partial: true } : {}),
          ...(msg.gone ? { gone: msg.gone } : {}),
        });
        return;
      case 'event':
        this.controlPlane.recordAgentEvent(st.nodeId, st.networkId, msg.event);
        return;
      case 'status':
        if (msg.netcheck) return this.controlPlane.setNetcheck(st.nodeId, msg.netcheck);
        return;
      case 'ping':
        this.send({ type: 'pong', ts: msg.ts, serverTime: Date.now() });
        return;
      case 'rekey':
        return this.rekey(st.nodeId, msg.publicKey, msg.signature, msg.id);
      case 'browser-signal':
        // Only the node the offer went to can answer it; anything else is a stale or forged link id.
        if (!this.deps.browserLinks?.answer(st.nodeId, msg))
          this.error(ErrorCode.PeerNotFound, `no browser link ${msg.linkId} for this node`, msg.id);
        return;
    }
  }

  private async rekey(nodeId: string, publicKey: string, signature: string, ref?: string): Promise<void> {
    try {
      await this.controlPlane.rekey(nodeId, publicKey, signature);
      this.send({ type: 'rekeyed', publicKey, ...(ref ? { ref } : {}) });
    } catch (err) {
      if (!(err instanceof ControlPlaneError)) throw err;
      this.error(err.code, err.message, ref);
    }
  }

  private async authenticate(
    st: Extract<State, { kind: 'await-auth' }>,
    signature: string,
    ref?: string,
  ): Promise<void> {
    const store = this.deps.store;
    const node = await store.nodes.get(st.nodeId);
    const ok =
      node !== undefined &&
      !(await store.nodes.isKeyRevoked(node.publicKey)) &&
      verifyAuthChallenge(
        node.publicKey,
        { nodeId: st.nodeId, nonce: st.nonce, version: st.version },
        signature,
      );
    const params = { nodeId: st.nodeId, nonce: st.nonce, version: st.version };
    const removedKey = node ? undefined : await store.nodes.revokedKeyOf(st.nodeId);
    if (removedKey && verifyAuthChallenge(removedKey, params, signature)) {
      // Only the real holder of a removed node's key learns it was removed, so its agent stops retrying.
      this.fail(ErrorCode.NodeRemoved, 'this node was removed by an admin', CloseCode.NodeRemoved, ref);
      return;
    }
    if (!node || !ok) {
      // One answer for unknown node, removed node and bad signature: nothing to learn from it.
      this.log.info({ node: st.nodeId, endpoint: this.endpoint }, 'authentication failed');
      this.fail(ErrorCode.AuthFailed, 'authentication failed', CloseCode.AuthFailed, ref);
      return;
    }
    const network = (await store.networks.get(node.networkId))!;
    const peers = await this.controlPlane.peersOf(node, network);
    const policy = await welcomePolicy(this.deps.store, network.id);
    // The socket may have closed while the database answered: then there is nothing to register.
    if (this.state.kind !== 'await-auth') return;
    clearTimeout(this.authTimer);
    this.onAuthenticated();
    this.state = { kind: 'open', nodeId: node.id, networkId: network.id, version: st.version };
    this.nodeId = node.id;
    this.networkId = network.id;
    this.since = this.deps.cluster.nextSince();
    const replaced = this.deps.hub.add(this);
    if (replaced) {
      replaced.end(CloseCode.SessionReplaced, {
        type: 'bye',
        reason: 'session-replaced',
        message: 'a newer session authenticated as this node',
      });
    }
    this.deps.metrics.sessions.set(this.deps.hub.size);
    const ice = this.controlPlane.iceServersFor(node.id);
    // Protocol 1 clients get the whole list at once (what they always got); 2 gets it in pages.
    const pages = st.version >= 2 ? pagePeers(peers) : [{ peers, json: [] }];
    this.send({
      type: 'welcome',
      version: st.version,
      self: this.controlPlane.selfInfo(node, network),
      network: networkInfo(network),
      iceServers: ice.iceServers,
      peers: pages[0]!.peers,
      serverTime: Date.now(),
      iceServersExpireAt: ice.expiresAt,
      ...policy,
      ...(pages.length > 1 ? { morePeers: true } : {}),
    });
    if (pages.length > 1) void this.sendPeerPages(pages.slice(1));
    this.scheduleIceRefresh(ice.expiresAt);
    this.deps.metrics.authDuration.observe((performance.now() - st.helloAt) / 1000);
    this.controlPlane.sessionOnline(this, node, network, st.agentVersion, this.since);
    this.log.info({ node: node.id, name: node.name, version: st.version }, 'session authenticated');
  }

  /**
   * The welcome's further pages, each sent once the previous one has left the socket, so a large
   * network's welcome never counts against the slow-consumer limit. Updates broadcast meanwhile are
   * queued behind them by the socket; the client applies them after the list is complete.
   */
  private async sendPeerPages(pages: PeerPage[]): Promise<void> {
    for (let i = 0; i < pages.length; i++) {
      if (this.state.kind !== 'open' || this.ws.readyState !== this.ws.OPEN) return;
      const raw = peersPageMessage(pages[i]!, i < pages.length - 1);
      const sent = await new Promise<boolean>((resolve) => this.ws.send(raw, (err) => resolve(!err)));
      if (!sent) return;
    }
  }

  /** Re-mints TURN credentials halfway through their lifetime and pushes them in a `config`. */
  private scheduleIceRefresh(expiresAt: number | null): void {
    if (expiresAt === null) return;
    const delay = Math.max(1000, (expiresAt - Date.now()) / 2);
    this.refreshTimer = setTimeout(
      () => {
        if (this.state.kind !== 'open') return;
        const ice = this.controlPlane.iceServersFor(this.state.nodeId);
        this.send({ type: 'config', iceServers: ice.iceServers, iceServersExpireAt: ice.expiresAt });
        this.scheduleIceRefresh(ice.expiresAt);
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    this.refreshTimer.unref();
  }

  private relay(
    st: Extract<State, { kind: 'open' }>,
    to: string,
    msg: Extract<ClientMessage, { type: 'signal' }>,
    ref?: string,
  ): Promise<void> | undefined {
    const target = this.deps.hub.get(to);
    if (to === st.nodeId) return this.relayFailed(st, to, ref);
    if (target && target.networkId === st.networkId) {
      // `from` comes from the authenticated session, never from the client.
      target.sendRaw(JSON.stringify({ type: 'signal', from: st.nodeId, data: msg.data }));
      this.deps.metrics.relayed.inc();
      return;
    }
    // On another instance: one publish to that instance, found in the in-memory presence directory.
    if (
      !target &&
      this.deps.cluster.relay(
        st.networkId,
        to,
        JSON.stringify({ type: 'signal', from: st.nodeId, data: msg.data }),
      )
    ) {
      this.deps.metrics.relayedOut.inc();
      return;
    }
    return this.relayFailed(st, to, ref);
  }

  /** Off the hot path: tells the sender why a signal could not be delivered. */
  private async relayFailed(st: Extract<State, { kind: 'open' }>, to: string, ref?: string): Promise<void> {
    const node = to === st.nodeId ? undefined : await this.deps.store.nodes.get(to);
    // Nodes of other networks are reported exactly like nodes that do not exist.
    if (!node || node.networkId !== st.networkId) {
      this.error(ErrorCode.PeerNotFound, `no peer ${to} in this network`, ref);
      return;
    }
    this.error(ErrorCode.PeerOffline, `peer ${to} is offline`, ref);
  }

  private onClose(): void {
    const st = this.state;
    this.state = { kind: 'closed' };
    clearTimeout(this.authTimer);
    clearTimeout(this.refreshTimer);
    if (st.kind !== 'open') return;
    const hub = this.deps.hub;
    if (!hub.remove(this)) return;
    this.deps.metrics.sessions.set(hub.size);
    try {
      this.controlPlane.sessionOffline(st.nodeId, st.networkId, this.since);
    } catch (err) {
      // An event handler must never throw: that would take the whole server down.
      this.log.error({ err, node: st.nodeId }, 'marking node offline failed');
    }
    this.log.info({ node: st.nodeId }, 'session closed');
  }
}
