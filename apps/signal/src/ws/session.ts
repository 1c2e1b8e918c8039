import {
  type ClientMessage,
  CloseCode,
  ErrorCode,
  parseClientMessage,
  type RawMessage,
  type ServerMessage,
} from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { type ControlPlane, type ControlPlaneDeps, networkInfo } from '../control-plane/control-plane.js';
import { ControlPlaneError } from '../control-plane/errors.js';
import { welcomePolicy } from '../policy/network-policy.js';
import { type AwaitingAuth, answerHello, verifyAuth } from './handshake.js';
import type { SessionHandle } from './hub.js';
import { MessageQueue } from './message-queue.js';
import { handleOpenMessage, type OpenMessageContext, type OpenSession } from './open-messages.js';
import { pagePeers } from './peer-pages.js';
import { MessageRate } from './rate-limit.js';
import { SessionSocket } from './session-socket.js';

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

type State = { kind: 'await-hello' } | AwaitingAuth | OpenSession | { kind: 'closed' };

/**
 * One WebSocket connection: hello → challenge → auth → welcome, then relay and reports. Every inbound
 * message is size-checked, rate-limited and schema-validated before anything acts on it; a failure is
 * answered with an `error` (and, before authentication or for floods, a close code). Nothing a client
 * sends can throw out of this class.
 */
export class Session implements SessionHandle {
  private state: State = { kind: 'await-hello' };
  private readonly bucket: MessageRate;
  private readonly out: SessionSocket;
  private authTimer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastRateError = 0;
  private readonly queue = new MessageQueue(MAX_PENDING);
  /** What the authenticated session's message handlers use. */
  private readonly handlers: OpenMessageContext;

  constructor(
    ws: WebSocket,
    private readonly controlPlane: ControlPlane,
    /** The server's parts a session uses besides the mesh's operations. */
    private readonly deps: SessionDeps,
    private readonly limits: SessionLimits,
    readonly endpoint: string | null,
    private readonly log: Logger,
    /** Called once when the session authenticates (ends its handshake for the per-address limit). */
    private readonly onAuthenticated: () => void = () => undefined,
  ) {
    this.out = new SessionSocket(ws, limits.maxBufferedBytes, deps.metrics, log, () => this.nodeId);
    this.handlers = { controlPlane, deps, out: this.out };
    this.bucket = new MessageRate(limits.ratePerSecond, limits.burst);
    this.authTimer = setTimeout(
      () => this.out.fail(ErrorCode.AuthTimeout, 'no auth in time', CloseCode.AuthTimeout),
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
    this.out.send(msg);
  }

  sendRaw(raw: string): void {
    this.out.sendRaw(raw);
  }

  end(code: number, bye?: Extract<ServerMessage, { type: 'bye' }>): void {
    if (bye) this.send(bye);
    this.out.close(code, bye?.reason ?? '');
  }

  private onMessage(data: RawMessage, isBinary: boolean): void {
    if (this.state.kind === 'closed') return;
    const metrics = this.deps.metrics;
    if (!this.bucket.take()) {
      metrics.rejected.inc({ reason: ErrorCode.RateLimited });
      metrics.limited.inc({ limit: 'ws-message-rate' });
      if (this.bucket.flooding) {
        this.out.fail(ErrorCode.RateLimited, 'flooding: disconnected', CloseCode.RateLimited);
        return;
      }
      const now = Date.now();
      if (now - this.lastRateError >= 1000) {
        this.lastRateError = now;
        this.out.error(
          ErrorCode.RateLimited,
          `over ${this.limits.ratePerSecond} messages/s: message dropped`,
        );
      }
      return;
    }
    if (isBinary) {
      metrics.rejected.inc({ reason: ErrorCode.BadMessage });
      if (this.state.kind !== 'open') {
        this.out.fail(ErrorCode.BadMessage, 'binary messages are not accepted', CloseCode.ProtocolError);
        return;
      }
      this.out.error(ErrorCode.BadMessage, 'binary messages are not accepted');
      return;
    }
    const parsed = parseClientMessage(data, { maxBytes: this.limits.maxMessageBytes });
    if (!parsed.ok) {
      metrics.rejected.inc({ reason: parsed.code });
      if (parsed.code === ErrorCode.TooLarge) {
        metrics.limited.inc({ limit: 'ws-message-size' });
        this.out.fail(parsed.code, parsed.error, CloseCode.MessageTooBig, parsed.ref);
        return;
      }
      // Before authentication there is no reason to be lenient.
      if (this.state.kind !== 'open') {
        this.out.fail(parsed.code, parsed.error, CloseCode.ProtocolError, parsed.ref);
        return;
      }
      this.out.error(parsed.code, parsed.error, parsed.ref);
      return;
    }
    metrics.messages.inc({ type: parsed.message.type });
    const msg = parsed.message;
    // In arrival order, behind any slow (database) message (see MessageQueue).
    if (!this.queue.push(() => (this.state.kind === 'closed' ? undefined : this.handle(msg))))
      this.out.fail(ErrorCode.RateLimited, 'too many messages waiting: disconnected', CloseCode.RateLimited);
  }

  /** Runs one message; never throws or rejects (errors are answered to the client). */
  private handle(msg: ClientMessage): Promise<void> | undefined {
    const onError = (err: unknown): void => {
      if (err instanceof ControlPlaneError) {
        this.out.error(err.code, err.message, msg.id);
        return;
      }
      this.log.error({ err, type: msg.type }, 'message handler failed');
      this.out.error(ErrorCode.Internal, 'internal error', msg.id);
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
        this.out.fail(ErrorCode.ProtocolViolation, 'expected hello', CloseCode.ProtocolError, msg.id);
        return;
      }
      const answer = answerHello(msg);
      if (!answer.ok) {
        this.out.fail(answer.code, answer.message, answer.closeCode, msg.id);
        return;
      }
      this.state = answer.state;
      this.send(answer.challenge);
      return;
    }
    if (st.kind === 'await-auth') {
      if (msg.type !== 'auth') {
        this.out.fail(ErrorCode.ProtocolViolation, 'expected auth', CloseCode.ProtocolError, msg.id);
        return;
      }
      return this.authenticate(st, msg.signature, msg.id);
    }
    if (st.kind !== 'open') return;
    return handleOpenMessage(this.handlers, st, msg);
  }

  private async authenticate(st: AwaitingAuth, signature: string, ref?: string): Promise<void> {
    const store = this.deps.store;
    const verdict = await verifyAuth(store, st, signature);
    if (verdict.kind === 'removed') {
      this.out.fail(ErrorCode.NodeRemoved, 'this node was removed by an admin', CloseCode.NodeRemoved, ref);
      return;
    }
    if (verdict.kind === 'failed') {
      this.log.info({ node: st.nodeId, endpoint: this.endpoint }, 'authentication failed');
      this.out.fail(ErrorCode.AuthFailed, 'authentication failed', CloseCode.AuthFailed, ref);
      return;
    }
    const node = verdict.node;
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
    if (pages.length > 1) void this.out.sendPeerPages(pages.slice(1), () => this.state.kind === 'open');
    this.scheduleIceRefresh(ice.expiresAt);
    this.deps.metrics.authDuration.observe((performance.now() - st.helloAt) / 1000);
    this.controlPlane.sessionOnline(this, node, network, st.agentVersion, this.since);
    this.log.info({ node: node.id, name: node.name, version: st.version }, 'session authenticated');
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
