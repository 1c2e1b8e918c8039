import type { KeyObject } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Backoff } from '@rtcmesh/limits';
import {
  type ClientMessage,
  CloseCode,
  type Config,
  ErrorCode,
  type ErrorMessage,
  encodeMessage,
  type PeerInfo,
  type PolicyMessage,
  parseServerMessage,
  type Rekeyed,
  type ServerBrowserSignal,
  type ServerMessage,
  type ServerSignal,
  SUPPORTED_VERSIONS,
  signAuthChallenge,
  type Welcome,
} from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import WebSocket from 'ws';
import { MAX_PEERS, PagedWelcome } from './paged-welcome.js';
import { ServerKeepalive } from './server-keepalive.js';
import { type Reconnect, ServerRotation } from './server-rotation.js';
import { closeErrorText, describeRefusal, sessionEnd } from './session-end.js';
import { describeTlsError } from './tls-trust.js';

export interface ControlClientEvents {
  /** A session authenticated; `welcome` carries the full config (also after every reconnect: resync). */
  welcome: [Welcome];
  config: [Config];
  'peer-joined': [PeerInfo];
  'peer-updated': [PeerInfo];
  'peer-left': [{ nodeId: string; lastSeen: number }];
  'peer-removed': [string];
  signal: [ServerSignal];
  /** The console's "test from this browser": an offer (or bye) for a browser link. */
  'browser-signal': [ServerBrowserSignal];
  'server-error': [ErrorMessage];
  disconnected: [{ code: number; reason: string }];
  /** This node was removed by an admin: the client stops for good. */
  removed: [string];
  /** No common protocol version or other permanent refusal: the client stops for good. */
  fatal: [Error];
  /** The server accepted a key rotation. */
  rekeyed: [Rekeyed];
  /** The network's access policy changed (the agent validates it before enforcing it). */
  policy: [PolicyMessage];
  /** Authentication with the current key failed but the pending key (an unfinished rekey) worked. */
  'key-promoted': [KeyObject];
}

export interface ControlClientOptions {
  /**
   * Signaling server URLs (instances of one mesh). The client uses one at a time and moves to the next
   * when it cannot connect or when its instance says `reconnect-elsewhere`.
   */
  serverUrls: readonly string[];
  nodeId: string;
  privateKey: KeyObject;
  agentVersion: string;
  logger: Logger;
  /** An app-level ping every this often; no pong in 2 intervals = dead socket, reconnect. */
  keepaliveMs?: number;
  backoff?: Backoff;
  /** The only CA(s) trusted for a wss:// server (PEM, `--ca-file`); default: the system's CAs. */
  ca?: Buffer;
  /**
   * A key from a rotation whose answer never arrived (the agent stopped between the server's commit
   * and saving the new key): tried when the current key fails to authenticate.
   */
  pendingKey?: KeyObject;
}

/**
 * The agent's session with the signaling server: connect, authenticate by signing the challenge,
 * reconnect with backoff and jitter forever, across the URLs of one mesh (server-rotation.ts). The
 * data plane never waits for it: peer links keep forwarding while this reconnects, and every new
 * session starts with a full `welcome` (resync).
 */
export class ControlClient extends EventEmitter<ControlClientEvents> {
  private ws: WebSocket | undefined;
  private authenticated = false;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly keepalive: ServerKeepalive;
  private pagedWelcome: PagedWelcome | null = null;
  private connectedSince: number | null = null;
  private lastErrorText: string | null = null;
  private readonly rotation: ServerRotation;
  private key: KeyObject;
  private pendingKey: KeyObject | undefined;

  constructor(private readonly opts: ControlClientOptions) {
    super();
    this.key = opts.privateKey;
    this.pendingKey = opts.pendingKey;
    this.keepalive = new ServerKeepalive(opts.keepaliveMs ?? 5_000, opts.logger);
    this.rotation = new ServerRotation(opts.serverUrls, opts.backoff);
  }

  /** The URL in use (or being tried). */
  get serverUrl(): string {
    return this.rotation.current;
  }

  get connected(): boolean {
    return this.authenticated;
  }
  get since(): number | null {
    return this.connectedSince;
  }
  get lastError(): string | null {
    return this.lastErrorText;
  }

  /** The node key sessions authenticate with (rotated by `rtcmesh rekey`). */
  get privateKey(): KeyObject {
    return this.key;
  }

  /** After a rotation the server accepted: later sessions authenticate with `key`. */
  setPrivateKey(key: KeyObject): void {
    this.key = key;
    this.pendingKey = undefined;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** Sends when a session is up; otherwise drops (the next welcome resyncs what matters). */
  send(message: ClientMessage): boolean {
    if (!this.authenticated || this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(encodeMessage(message));
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.keepalive.stop();
    const ws = this.ws;
    this.ws = undefined;
    this.authenticated = false;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(CloseCode.Normal, 'agent stopping');
    });
  }

  private wsUrl(): string {
    const url = new URL('/ws', this.serverUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.toString();
  }

  private connect(): void {
    if (this.stopped) return;
    const log = this.opts.logger;
    const ws = new WebSocket(this.wsUrl(), {
      handshakeTimeout: 10_000,
      maxPayload: 16 * 1024 * 1024,
      ...(this.opts.ca ? { ca: this.opts.ca } : {}),
    });
    this.ws = ws;
    let opened = false;
    ws.on('open', () => {
      opened = true;
      log.debug({ url: this.wsUrl() }, 'control socket open');
      ws.send(
        encodeMessage({
          type: 'hello',
          versions: [...SUPPORTED_VERSIONS],
          nodeId: this.opts.nodeId,
          agentVersion: this.opts.agentVersion,
        }),
      );
    });
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (ws !== this.ws) return;
      this.onMessage(ws, isBinary ? Buffer.alloc(0) : (data as Buffer));
    });
    ws.on('error', (err) => {
      // A certificate problem will not fix itself on retry: say what it is, loudly, once per change.
      const text = describeTlsError(err, this.serverUrl) ?? describeRefusal(err) ?? err.message;
      if (text !== err.message && text !== this.lastErrorText) log.error({ server: this.serverUrl }, text);
      else log.debug({ err: err.message }, 'control socket error');
      this.lastErrorText = text;
    });
    ws.on('close', (code, reasonBuf) => {
      if (ws !== this.ws) return;
      this.pagedWelcome = null;
      const reason = reasonBuf.toString();
      const wasUp = this.authenticated;
      this.authenticated = false;
      this.connectedSince = null;
      this.keepalive.stop();
      if (wasUp) this.emit('disconnected', { code, reason });
      const end = sessionEnd(code, reason);
      if (end.kind === 'removed') {
        this.stopped = true;
        this.emit('removed', end.reason);
        return;
      }
      if (end.kind === 'fatal') {
        this.stopped = true;
        this.emit('fatal', end.error);
        return;
      }
      this.lastErrorText = closeErrorText(code, reason, opened) ?? this.lastErrorText;
      if (this.stopped) return;
      const elsewhere = end.kind === 'elsewhere' ? this.rotation.elsewhere() : undefined;
      if (elsewhere) this.reconnectIn(elsewhere, 'instance shutting down');
      else this.reconnectIn(this.rotation.afterClose(wasUp), this.lastErrorText ?? 'unreachable');
    });
  }

  /** Connects again as the rotation says; `why` a move to another URL is logged with. */
  private reconnectIn(next: Reconnect, why: string): void {
    if (next.kind === 'move')
      this.opts.logger.info(
        { from: next.from, to: this.serverUrl, delayMs: next.delayMs, why },
        'moving to another signaling server',
      );
    else
      this.opts.logger.info(
        { delayMs: next.delayMs, server: this.serverUrl, lastError: this.lastErrorText },
        'control connection lost, reconnecting',
      );
    this.reconnectTimer = setTimeout(() => this.connect(), next.delayMs);
  }

  private onMessage(ws: WebSocket, raw: Buffer): void {
    const parsed = parseServerMessage(raw);
    const log = this.opts.logger;
    if (!parsed.ok) {
      // A newer server may add message types: ignore unknown ones, log the rest.
      if (parsed.code !== ErrorCode.UnknownType)
        log.warn({ code: parsed.code, error: parsed.error }, 'bad message from server');
      return;
    }
    const msg = parsed.message;
    const paged = this.pagedWelcome;
    if (paged && msg.type !== 'peers' && msg.type !== 'pong' && msg.type !== 'bye') {
      if (!paged.hold(msg)) {
        log.warn({ held: paged.heldCount }, 'too many updates while the welcome was paged; reconnecting');
        ws.terminate();
      }
      return;
    }
    this.dispatch(ws, msg);
  }

  private dispatch(ws: WebSocket, msg: ServerMessage): void {
    const log = this.opts.logger;
    switch (msg.type) {
      case 'challenge': {
        const signature = signAuthChallenge(this.key, {
          nodeId: this.opts.nodeId,
          nonce: msg.nonce,
          version: msg.version,
        });
        ws.send(encodeMessage({ type: 'auth', signature }));
        return;
      }
      case 'welcome':
        if (msg.morePeers) {
          // Only the first page: the session is complete once the last `peers` page has come.
          this.pagedWelcome = new PagedWelcome(msg);
          this.keepalive.start(ws);
          return;
        }
        this.authenticated = true;
        this.connectedSince = Date.now();
        this.lastErrorText = null;
        this.rotation.sessionUp();
        this.keepalive.start(ws);
        this.emit('welcome', msg);
        return;
      case 'peers': {
        const paged = this.pagedWelcome;
        if (!paged) {
          log.warn('a page of peers without a paged welcome; ignored');
          return;
        }
        const added = paged.add(msg.peers, msg.more);
        if (added === 'too-many') {
          log.warn({ peers: paged.peerCount }, `a welcome of more than ${MAX_PEERS} peers; reconnecting`);
          this.pagedWelcome = null;
          ws.terminate();
          return;
        }
        if (added === 'more') return;
        this.pagedWelcome = null;
        this.dispatch(ws, added.welcome);
        for (const held of added.held) this.dispatch(ws, held);
        return;
      }
      case 'config':
        this.emit('config', msg);
        return;
      case 'peer-joined':
        this.emit('peer-joined', msg.peer);
        return;
      case 'peer-updated':
        this.emit('peer-updated', msg.peer);
        return;
      case 'peer-left':
        this.emit('peer-left', { nodeId: msg.nodeId, lastSeen: msg.lastSeen });
        return;
      case 'peer-removed':
        this.emit('peer-removed', msg.nodeId);
        return;
      case 'signal':
        this.emit('signal', msg);
        return;
      case 'browser-signal':
        this.emit('browser-signal', msg);
        return;
      case 'policy':
        this.emit('policy', msg);
        return;
      case 'pong':
        this.keepalive.pong();
        return;
      case 'error':
        this.lastErrorText = `${msg.code}: ${msg.message}`;
        if (msg.code === ErrorCode.AuthFailed && this.pendingKey && !this.authenticated) {
          // The server took our rotation but we never saved its answer: the pending key is ours now.
          log.warn('the node key was rotated before the agent stopped; using the new key');
          this.key = this.pendingKey;
          this.pendingKey = undefined;
          this.rotation.resetBackoff();
          this.emit('key-promoted', this.key);
          return;
        }
        if (msg.code === ErrorCode.AuthFailed || msg.code === ErrorCode.NodeRemoved) {
          log.error({ code: msg.code }, msg.message);
        }
        this.emit('server-error', msg);
        return;
      case 'bye':
        log.info({ reason: msg.reason }, 'server says goodbye');
        return;
      case 'rekeyed':
        this.emit('rekeyed', msg);
        return;
    }
  }
}
