import type { KeyObject } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Backoff } from '@rtcmesh/limits';
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
import { describeTlsError } from './tls-trust.js';

/** Updates held while a paged welcome arrives; more means a server that never finishes it. */
const MAX_HELD_DURING_WELCOME = 10_000;
/** Peers in one welcome; a network this large is far past what a full mesh can hold anyway. */
const MAX_PEERS = 65_536;

/**
 * The server's limits answer the upgrade with an HTTP status (ws reports it as this message): 429
 * for the per-address limits, 503 when the whole server is at `--max-connections`. Either way the
 * client retries with backoff.
 */
function describeRefusal(err: Error): string | null {
  if (/Unexpected server response: 429/.test(err.message))
    return 'the server refused the connection: too many connections from this address (per-address limit)';
  if (/Unexpected server response: 503/.test(err.message))
    return 'the server refused the connection: it is at its connection limit (--max-connections); retrying';
  return null;
}

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

/** Delay before trying the next URL while some of this round's URLs are untried: spread, but short. */
const NEXT_URL_JITTER_MS = 250;

/**
 * The agent's session with the signaling server: connect, authenticate by signing the challenge,
 * reconnect with backoff and jitter forever. With several URLs (instances of one mesh): a lost session
 * is retried on the same URL first (after the backoff); a URL that cannot be reached hands over to the
 * next one within NEXT_URL_JITTER_MS; only when every URL failed in a row does the backoff grow. An
 * instance that shuts down says `reconnect-elsewhere`: the client moves to the next URL at once. The data plane never waits for it: peer links keep
 * forwarding while this reconnects, and every new session starts with a full `welcome` (resync).
 */
export class ControlClient extends EventEmitter<ControlClientEvents> {
  private ws: WebSocket | undefined;
  private authenticated = false;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private lastPong = 0;
  /**
   * A paged welcome being assembled (protocol 2): the first part, the peers so far, and the updates
   * that arrived meanwhile, applied in order once the list is complete.
   */
  private pagedWelcome: { welcome: Welcome; peers: PeerInfo[]; held: ServerMessage[] } | null = null;
  private readonly backoff: Backoff;
  private readonly keepaliveMs: number;
  private connectedSince: number | null = null;
  private lastErrorText: string | null = null;
  private readonly urls: readonly string[];
  private urlIndex = 0;
  /** URLs that failed in a row since the last session (a full round of them means backoff). */
  private failedInRow = 0;
  private key: KeyObject;
  private pendingKey: KeyObject | undefined;

  constructor(private readonly opts: ControlClientOptions) {
    super();
    this.key = opts.privateKey;
    this.pendingKey = opts.pendingKey;
    this.backoff = opts.backoff ?? new Backoff();
    this.keepaliveMs = opts.keepaliveMs ?? 5_000;
    if (opts.serverUrls.length === 0) throw new Error('at least one server URL is needed');
    this.urls = [...opts.serverUrls];
  }

  /** The URL in use (or being tried). */
  get serverUrl(): string {
    return this.urls[this.urlIndex]!;
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
    clearInterval(this.keepaliveTimer);
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
      clearInterval(this.keepaliveTimer);
      if (wasUp) this.emit('disconnected', { code, reason });
      if (code === CloseCode.NodeRemoved) {
        this.stopped = true;
        this.emit('removed', reason || 'node removed by an admin');
        return;
      }
      if (code === CloseCode.SessionReplaced) {
        // Another process authenticated as this node (a copied state directory?): two agents with one
        // identity would evict each other forever, so this one gives up.
        this.stopped = true;
        this.emit(
          'fatal',
          new Error('another agent connected with this node identity; is the state directory shared?'),
        );
        return;
      }
      if (code === CloseCode.UnsupportedVersion) {
        this.stopped = true;
        this.emit('fatal', new Error(`server speaks no protocol version we speak: ${reason}`));
        return;
      }
      // Before `open` the error event already said what went wrong (TLS, refused, 429): keep that.
      if (opened && code !== 1000 && code !== 1005)
        this.lastErrorText = `closed ${code}${reason ? `: ${reason}` : ''}`;
      if (code === CloseCode.ReconnectElsewhere && this.urls.length > 1) {
        this.moveOn('instance shutting down', Math.floor(Math.random() * NEXT_URL_JITTER_MS));
        return;
      }
      this.scheduleReconnect(wasUp);
    });
  }

  /** Switches to the next URL and connects after `delayMs`. */
  private moveOn(why: string, delayMs: number): void {
    if (this.stopped) return;
    const from = this.serverUrl;
    this.urlIndex = (this.urlIndex + 1) % this.urls.length;
    this.opts.logger.info({ from, to: this.serverUrl, delayMs, why }, 'moving to another signaling server');
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
  }

  private scheduleReconnect(wasUp: boolean): void {
    if (this.stopped) return;
    if (wasUp) {
      // A lost session: the same instance first (it may only have dropped this socket).
      this.backoff.reset();
      this.failedInRow = 0;
    } else if (this.urls.length > 1 && ++this.failedInRow < this.urls.length) {
      this.moveOn(this.lastErrorText ?? 'unreachable', Math.floor(Math.random() * NEXT_URL_JITTER_MS));
      return;
    } else if (this.urls.length > 1) {
      // Every URL failed in a row: back off, then start the next round on the next URL.
      this.failedInRow = 0;
      this.urlIndex = (this.urlIndex + 1) % this.urls.length;
    }
    const delay = this.backoff.next();
    this.opts.logger.info(
      { delayMs: delay, server: this.serverUrl, lastError: this.lastErrorText },
      'control connection lost, reconnecting',
    );
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
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
      if (paged.held.length >= MAX_HELD_DURING_WELCOME) {
        log.warn({ held: paged.held.length }, 'too many updates while the welcome was paged; reconnecting');
        ws.terminate();
        return;
      }
      paged.held.push(msg);
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
          this.pagedWelcome = { welcome: msg, peers: [...msg.peers], held: [] };
          this.startKeepalive(ws);
          return;
        }
        this.authenticated = true;
        this.failedInRow = 0;
        this.connectedSince = Date.now();
        this.lastErrorText = null;
        this.backoff.reset();
        this.startKeepalive(ws);
        this.emit('welcome', msg);
        return;
      case 'peers': {
        const paged = this.pagedWelcome;
        if (!paged) {
          log.warn('a page of peers without a paged welcome; ignored');
          return;
        }
        if (paged.peers.length + msg.peers.length > MAX_PEERS) {
          log.warn({ peers: paged.peers.length }, `a welcome of more than ${MAX_PEERS} peers; reconnecting`);
          this.pagedWelcome = null;
          ws.terminate();
          return;
        }
        for (const p of msg.peers) paged.peers.push(p);
        if (msg.more) return;
        this.pagedWelcome = null;
        const { morePeers: _more, ...first } = paged.welcome;
        this.dispatch(ws, { ...first, peers: paged.peers });
        for (const held of paged.held) this.dispatch(ws, held);
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
        this.lastPong = Date.now();
        return;
      case 'error':
        this.lastErrorText = `${msg.code}: ${msg.message}`;
        if (msg.code === ErrorCode.AuthFailed && this.pendingKey && !this.authenticated) {
          // The server took our rotation but we never saved its answer: the pending key is ours now.
          log.warn('the node key was rotated before the agent stopped; using the new key');
          this.key = this.pendingKey;
          this.pendingKey = undefined;
          this.backoff.reset();
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

  private startKeepalive(ws: WebSocket): void {
    clearInterval(this.keepaliveTimer);
    this.lastPong = Date.now();
    this.keepaliveTimer = setInterval(() => {
      if (Date.now() - this.lastPong > 2 * this.keepaliveMs + 1000) {
        this.opts.logger.warn('no pong from server, reconnecting');
        ws.terminate();
        return;
      }
      if (ws.readyState === WebSocket.OPEN) ws.send(encodeMessage({ type: 'ping', ts: Date.now() }));
    }, this.keepaliveMs);
  }
}
