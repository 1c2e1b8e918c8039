import { lookup } from 'node:dns/promises';
import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect, isIP, type Socket } from 'node:net';
import type { BrowserAccess } from '@rtcmesh/policy';
import {
  BROWSER_PROXY_LIMITS,
  BrowserStreamEndSchema,
  type BrowserStreamErrorCode,
  type BrowserStreamOpen,
  BrowserStreamOpenSchema,
  type BrowserStreamReply,
  type BrowserTarget,
  browserTargetOrigin,
  parseBrowserTarget,
} from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { CookieJar } from 'tough-cookie';
import type { RTCDataChannel } from 'werift';
import WebSocket from 'ws';

/** Bounds of one proxy session; what happens at each is in the comments. */
export interface BrowserProxyLimits {
  /** Streams open at once; one more gets `limit` and its channel closed. */
  maxStreams: number;
  /** Bytes queued toward the tab per stream before the target is paused (its TCP window then fills). */
  highWaterBytes: number;
  /** Bytes from the tab waiting for the target (request bodies, WebSocket, TCP); beyond: the stream ends with `limit`. */
  maxUploadBufferedBytes: number;
  /** Connecting to the target; then `timeout`. */
  connectTimeoutMs: number;
  /** A stream with no byte either way for this long is closed. */
  streamIdleMs: number;
  /** Largest WebSocket message relayed either way; larger ones end the WebSocket with `limit`. */
  maxWebSocketMessageBytes: number;
}

export const DEFAULT_BROWSER_PROXY_LIMITS: BrowserProxyLimits = {
  maxStreams: 32,
  highWaterBytes: 256 * 1024,
  maxUploadBufferedBytes: 4 * 1024 * 1024,
  connectTimeoutMs: 10_000,
  streamIdleMs: 5 * 60_000,
  maxWebSocketMessageBytes: 1024 * 1024,
};

export interface BrowserProxyOptions {
  sessionId: string;
  principal: string;
  target: string;
  /** The policy's verdict for this principal and the resolved target (PolicyEnforcer.browserAccess). */
  access: (principal: string, ip: string, port: number) => BrowserAccess;
  logger: Logger;
  limits?: Partial<BrowserProxyLimits>;
  /** Any stream moved a byte (the session's idle timer). */
  onActivity?: () => void;
  /** A stream was refused (policy or limit): for the events feed. */
  onRefused?: (reason: string) => void;
}

export interface BrowserProxyStats {
  sessionId: string;
  principal: string;
  target: string;
  openedAt: number;
  streams: number;
  activeStreams: number;
  /** Bytes from the target to the tab, and from the tab to the target. */
  bytesToBrowser: number;
  bytesFromBrowser: number;
  refused: number;
}

/** Request headers the agent sets itself or that only concern the hop between tab and agent. */
const DROP_REQUEST = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'cookie',
  'origin',
  'referer',
  'accept-encoding',
  'content-length',
]);
/** Response headers that describe the agent–target hop, or that the cookie jar takes. */
const DROP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'set-cookie',
  'proxy-connection',
]);

/** TLS verification failures, said as what they are rather than as OpenSSL codes. */
const TLS_ERRORS: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its certificate chain ends in a self-signed CA the node does not trust',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its certificate is signed by a CA the node does not know',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its certificate is signed by a CA the node does not know',
  CERT_HAS_EXPIRED: 'its certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its certificate is for another name',
};

/**
 * One browser proxy session on the agent (issue 20): every `stream` channel the tab opens on the
 * session's link carries one HTTP exchange, one WebSocket or one TCP connection to the session's
 * target, which the server named when it minted the session and the agent checks against the policy
 * for the session's principal on every stream (a policy change applies to the next stream). The
 * target's name is resolved once, so every stream goes to the address the policy judged. Cookies the
 * target sets live in this session's jar, never in the browser (a service worker cannot store them).
 */
export class BrowserProxy {
  readonly target: BrowserTarget;
  private readonly limits: BrowserProxyLimits;
  private readonly jar = new CookieJar();
  private readonly httpAgent: HttpAgent | HttpsAgent;
  private readonly streams = new Set<Stream>();
  private ip: Promise<string> | undefined;
  private closed = false;
  private readonly stats: BrowserProxyStats;

  constructor(private readonly opts: BrowserProxyOptions) {
    const t = parseBrowserTarget(opts.target);
    if (typeof t === 'string') throw new Error(`bad target: ${t}`);
    this.target = t;
    this.limits = { ...DEFAULT_BROWSER_PROXY_LIMITS, ...opts.limits };
    // Keep-alive toward the target: the tab's channels are one exchange each, the TCP connections are not.
    const agentOpts = {
      keepAlive: true,
      maxSockets: this.limits.maxStreams,
      timeout: this.limits.streamIdleMs,
    };
    this.httpAgent = t.scheme === 'https' ? new HttpsAgent(agentOpts) : new HttpAgent(agentOpts);
    this.stats = {
      sessionId: opts.sessionId,
      principal: opts.principal,
      target: opts.target,
      openedAt: Date.now(),
      streams: 0,
      activeStreams: 0,
      bytesToBrowser: 0,
      bytesFromBrowser: 0,
      refused: 0,
    };
  }

  /** The target's address, resolved once (DNS answers later cannot move the session elsewhere). */
  resolve(): Promise<string> {
    if (!this.ip) {
      const host = this.target.host;
      this.ip =
        isIP(host) !== 0
          ? Promise.resolve(host)
          : host === 'localhost'
            ? Promise.resolve('127.0.0.1')
            : lookup(host).then((r) => r.address);
    }
    return this.ip;
  }

  /** The policy's verdict for this session as it stands now. */
  async check(): Promise<BrowserAccess> {
    let ip: string;
    try {
      ip = await this.resolve();
    } catch (err) {
      return { ok: false, reason: `cannot resolve ${this.target.host}: ${(err as Error).message}` };
    }
    return this.opts.access(this.opts.principal, ip, this.target.port);
  }

  snapshot(): BrowserProxyStats {
    return { ...this.stats, activeStreams: this.streams.size };
  }

  /** A `stream` channel the tab opened. */
  attach(channel: RTCDataChannel): void {
    if (this.closed) {
      channel.close();
      return;
    }
    if (this.streams.size >= this.limits.maxStreams) {
      this.refused(`more than ${this.limits.maxStreams} streams at once`);
      // Answered when its open request comes (the channel may not be open for sending yet).
      new Stream(channel, this, `at most ${this.limits.maxStreams} streams at once per session`);
      return;
    }
    this.streams.add(new Stream(channel, this));
    this.stats.streams++;
  }

  close(): void {
    this.closed = true;
    for (const s of [...this.streams]) s.fail('closed', 'the session ended');
    this.httpAgent.destroy();
  }

  // ---- used by Stream ----

  get lim(): BrowserProxyLimits {
    return this.limits;
  }

  get log(): Logger {
    return this.opts.logger;
  }

  ended(s: Stream): void {
    this.streams.delete(s);
  }

  counted(toBrowser: number, fromBrowser: number): void {
    this.stats.bytesToBrowser += toBrowser;
    this.stats.bytesFromBrowser += fromBrowser;
    this.opts.onActivity?.();
  }

  refused(reason: string): void {
    this.stats.refused++;
    this.opts.onRefused?.(reason);
  }

  async open(req: BrowserStreamOpen, s: Stream): Promise<void> {
    const verdict = await this.check();
    if (!verdict.ok) {
      this.refused(verdict.reason);
      s.fail('policy', `refused by the network policy: ${verdict.reason}`);
      return;
    }
    const ip = await this.resolve();
    const t = this.target;
    if (req.t === 'tcp') {
      if (t.scheme !== 'tcp') return s.fail('bad-request', `this session is for ${t.scheme}://, not raw TCP`);
      return s.tcp(ip, t.port);
    }
    if (t.scheme === 'tcp') return s.fail('bad-request', 'this session is for raw TCP');
    const origin = browserTargetOrigin(t);
    const cookie = await this.jar.getCookieString(`${origin}${req.path}`).catch(() => '');
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of req.t === 'http' ? req.headers : []) {
      const name = k.toLowerCase();
      if (DROP_REQUEST.has(name) || name.startsWith('proxy-') || name.startsWith('sec-')) continue;
      const prev = headers[name];
      headers[name] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    headers.host = new URL(origin).host;
    if (cookie) headers.cookie = cookie;
    if (req.t === 'ws') return s.webSocket(ip, origin, req.path, req.protocols, headers);
    // The agent vouches for the tab: a service that checks Origin against Host (CSRF) sees its own.
    if (req.method !== 'GET' && req.method !== 'HEAD') headers.origin = origin;
    // Compressed on the path, inflated by the tab (DecompressionStream knows gzip and deflate).
    headers['accept-encoding'] = 'gzip, deflate';
    return s.http(ip, req.method, req.path, headers, this.httpAgent, t.scheme === 'https');
  }

  async storeCookies(path: string, setCookie: readonly string[]): Promise<void> {
    const url = `${browserTargetOrigin(this.target)}${path}`;
    for (const c of setCookie) await this.jar.setCookie(c, url, { ignoreError: true }).catch(() => undefined);
  }

  /** The name the tab's TLS checks use (SNI and certificate name): the host as typed. */
  get serverName(): string | undefined {
    return isIP(this.target.host) === 0 ? this.target.host : undefined;
  }

  tlsMessage(err: Error & { code?: string }): string | undefined {
    const what = err.code ? TLS_ERRORS[err.code] : undefined;
    return what ? `${this.target.host}:${this.target.port} is not trusted by this node: ${what}` : undefined;
  }
}

/** One stream channel: its open request, then one of http / webSocket / tcp. */
class Stream {
  private state: 'opening' | 'open' | 'done' = 'opening';
  private idle: NodeJS.Timeout | undefined;
  /** Where bytes from the tab go once the stream is open; before that, the open request is awaited. */
  private sink: ((data: string | Buffer) => void) | undefined;
  private onClose: (() => void) | undefined;
  private pausedSource: { pause(): void; resume(): void } | undefined;
  /** What the tab sent before the target was connected. */
  private early: (string | Buffer)[] = [];

  constructor(
    private readonly ch: RTCDataChannel,
    private readonly proxy: BrowserProxy,
    /** Set: the stream is over the session's limit and gets this `limit` error. */
    private readonly overLimit?: string,
  ) {
    ch.bufferedAmountLowThreshold = Math.floor(proxy.lim.highWaterBytes / 4);
    ch.bufferedAmountLow.subscribe(() => {
      const s = this.pausedSource;
      this.pausedSource = undefined;
      s?.resume();
    });
    ch.onMessage.subscribe((data) => this.message(data));
    ch.stateChanged.subscribe((st) => {
      if (st === 'closed' || st === 'closing') this.finish();
    });
    this.touch();
  }

  private message(data: string | Buffer): void {
    this.touch();
    if (this.state === 'done') return;
    if (this.state === 'opening' && !this.sink) {
      if (this.overLimit) {
        this.fail('limit', this.overLimit);
        return;
      }
      const r = openRequest(data);
      if (typeof r === 'string') {
        this.fail('bad-request', r);
        return;
      }
      // Until the target is connected, what the tab sends (a request body) waits here, bounded.
      let earlyBytes = 0;
      this.sink = (d) => {
        earlyBytes += typeof d === 'string' ? d.length : d.byteLength;
        if (earlyBytes > this.proxy.lim.maxUploadBufferedBytes)
          return this.fail('limit', 'request body larger than the agent buffers before the target answers');
        this.early.push(d);
      };
      this.proxy.open(r, this).catch((err: Error) => this.fail('unreachable', err.message));
      return;
    }
    this.proxy.counted(0, typeof data === 'string' ? data.length : data.byteLength);
    this.sink?.(data);
  }

  private touch(): void {
    if (this.idle) this.idle.refresh();
    else {
      this.idle = setTimeout(
        () => this.fail('timeout', 'the stream was idle too long'),
        this.proxy.lim.streamIdleMs,
      );
      this.idle.unref();
    }
  }

  private reply(r: BrowserStreamReply): void {
    this.send(JSON.stringify(r));
  }

  private send(d: string | Buffer): void {
    if (this.state === 'done' || this.ch.readyState !== 'open') return;
    try {
      this.ch.send(d);
    } catch {
      this.finish();
    }
  }

  /** Data from the target: chunked to the channel's message size, the source paused above the high water. */
  private forward(chunk: Buffer, source: { pause(): void; resume(): void }): void {
    const max = BROWSER_PROXY_LIMITS.maxChunkBytes;
    for (let off = 0; off < chunk.byteLength; off += max) this.send(chunk.subarray(off, off + max));
    this.proxy.counted(chunk.byteLength, 0);
    this.touch();
    if (this.ch.bufferedAmount > this.proxy.lim.highWaterBytes && !this.pausedSource) {
      this.pausedSource = source;
      source.pause();
    }
  }

  fail(code: BrowserStreamErrorCode, message: string): void {
    if (this.state === 'done') return;
    this.reply({ t: 'error', code, message });
    this.proxy.log.debug({ code, message }, 'browser stream failed');
    this.finish();
    // The error reaches the tab before the channel goes: closing at once could reset the stream first.
    const t = setTimeout(() => this.ch.close(), 2000);
    t.unref();
  }

  private finish(): void {
    if (this.state === 'done') return;
    this.state = 'done';
    if (this.idle) clearTimeout(this.idle);
    this.pausedSource?.resume();
    this.pausedSource = undefined;
    this.sink = undefined;
    this.onClose?.();
    this.proxy.ended(this);
  }

  /** The target is connected: what the tab sends goes to `write` (what came early first), bounded. */
  private upload(writableLength: () => number, write: (d: Buffer | string) => void): void {
    const sink = (d: Buffer | string) => {
      if (writableLength() > this.proxy.lim.maxUploadBufferedBytes)
        return this.fail('limit', 'the target does not take the data as fast as the browser sends it');
      write(d);
    };
    this.sink = sink;
    const early = this.early;
    this.early = [];
    for (const d of early) if (this.sink === sink) sink(d);
  }

  http(
    ip: string,
    method: string,
    path: string,
    headers: Record<string, string | string[]>,
    agent: HttpAgent | HttpsAgent,
    tls: boolean,
  ): void {
    const serverName = this.proxy.serverName;
    const req: ClientRequest = (tls ? httpsRequest : httpRequest)({
      host: ip,
      port: this.proxy.target.port,
      method,
      path,
      headers,
      agent,
      ...(tls && serverName ? { servername: serverName } : {}),
    });
    req.setTimeout(this.proxy.lim.connectTimeoutMs, () =>
      req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
    );
    this.state = 'open';
    this.onClose = () => req.destroy();
    this.upload(
      () => req.writableLength,
      (d) => {
        if (typeof d !== 'string') req.write(d);
        else if (isEnd(d)) req.end();
        else this.fail('bad-request', 'text on an HTTP stream after its request is only {"t":"end"}');
      },
    );
    req.on('response', (res: IncomingMessage) => {
      req.setTimeout(0);
      const out: [string, string][] = [];
      const cookies: string[] = [];
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
        const k = res.rawHeaders[i] as string;
        const v = res.rawHeaders[i + 1] as string;
        const name = k.toLowerCase();
        if (name === 'set-cookie') cookies.push(v);
        if (!DROP_RESPONSE.has(name)) out.push([k, v]);
      }
      void this.proxy.storeCookies(path, cookies).then(() => {
        this.reply({
          t: 'response',
          status: res.statusCode ?? 502,
          statusText: (res.statusMessage ?? '').slice(0, 256),
          headers: out.slice(0, 200),
        });
        res.on('data', (chunk: Buffer) => this.forward(chunk, res));
        res.on('end', () => {
          // A complete exchange leaves its connection to the keep-alive pool: nothing to destroy.
          this.onClose = undefined;
          this.reply({ t: 'end' });
          this.finish();
        });
        res.on('error', (err) => this.fail('unreachable', `the response broke off: ${err.message}`));
      });
    });
    req.on('error', (err: Error & { code?: string }) => this.targetError(err));
  }

  webSocket(
    ip: string,
    origin: string,
    path: string,
    protocols: string[],
    headers: Record<string, string | string[]>,
  ): void {
    const tls = this.proxy.target.scheme === 'https';
    const serverName = this.proxy.serverName;
    const url = `${tls ? 'wss' : 'ws'}://${ip.includes(':') ? `[${ip}]` : ip}:${this.proxy.target.port}${path}`;
    const ws = new WebSocket(url, protocols, {
      headers: { ...flat(headers), origin },
      handshakeTimeout: this.proxy.lim.connectTimeoutMs,
      maxPayload: this.proxy.lim.maxWebSocketMessageBytes,
      perMessageDeflate: false,
      ...(tls && serverName ? { servername: serverName } : {}),
    });
    this.onClose = () => ws.terminate();
    ws.on('open', () => {
      this.state = 'open';
      this.reply({ t: 'open', ...(ws.protocol ? { protocol: ws.protocol } : {}) });
      this.upload(
        () => ws.bufferedAmount,
        (d) => {
          if ((typeof d === 'string' ? d.length : d.byteLength) > this.proxy.lim.maxWebSocketMessageBytes)
            return this.fail('limit', 'WebSocket message too large');
          ws.send(d, { binary: typeof d !== 'string' });
        },
      );
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.forward(data, ws);
      else {
        this.send(data.toString('utf8'));
        this.proxy.counted(data.byteLength, 0);
        this.touch();
      }
    });
    ws.on('close', () => {
      this.finish();
      const t = setTimeout(() => this.ch.close(), 1000);
      t.unref();
    });
    ws.on('unexpected-response', (_req, res) =>
      this.fail('unreachable', `the service answered the WebSocket upgrade with HTTP ${res.statusCode}`),
    );
    ws.on('error', (err: Error & { code?: string }) => this.targetError(err));
  }

  tcp(ip: string, port: number): void {
    const sock: Socket = connect({ host: ip, port, timeout: this.proxy.lim.connectTimeoutMs });
    this.onClose = () => sock.destroy();
    sock.once('connect', () => {
      sock.setTimeout(0);
      this.state = 'open';
      this.reply({ t: 'open' });
      this.upload(
        () => sock.writableLength,
        (d) => {
          sock.write(typeof d === 'string' ? Buffer.from(d, 'utf8') : d);
        },
      );
    });
    sock.on('timeout', () => sock.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    sock.on('data', (chunk: Buffer) => this.forward(chunk, sock));
    sock.on('end', () => {
      this.reply({ t: 'end' });
      this.finish();
    });
    sock.on('error', (err: Error & { code?: string }) => this.targetError(err));
  }

  private targetError(err: Error & { code?: string }): void {
    const t = this.proxy.target;
    const where = `${t.host}:${t.port}`;
    const tls = this.proxy.tlsMessage(err);
    if (tls) this.fail('tls', tls);
    else if (err.code === 'ETIMEDOUT') this.fail('timeout', `${where} did not answer in time`);
    else if (err.code === 'ECONNREFUSED') this.fail('unreachable', `${where} refused the connection`);
    else if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH')
      this.fail('unreachable', `${where} is not reachable from this node`);
    else this.fail('unreachable', `${where}: ${err.message}`);
  }
}

/** A stream's first message as its open request, or why it is not one. */
function openRequest(data: string | Buffer): BrowserStreamOpen | string {
  if (typeof data !== 'string' || data.length > BROWSER_PROXY_LIMITS.maxOpenBytes)
    return 'the first message of a stream is its open request (JSON)';
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return 'the open request is not JSON';
  }
  const r = BrowserStreamOpenSchema.safeParse(parsed);
  return r.success ? r.data : `bad open request: ${r.error.issues[0]?.message ?? ''}`;
}

function isEnd(text: string): boolean {
  try {
    return BrowserStreamEndSchema.safeParse(JSON.parse(text)).success;
  } catch {
    return false;
  }
}

function flat(h: Record<string, string | string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
