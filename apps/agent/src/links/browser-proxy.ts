import { lookup } from 'node:dns/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP } from 'node:net';
import type { BrowserAccess } from '@rtcmesh/policy';
import {
  type BrowserStreamOpen,
  type BrowserTarget,
  browserTargetOrigin,
  parseBrowserTarget,
} from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import { CookieJar } from 'tough-cookie';
import type { RTCDataChannel } from 'werift';
import { BrowserStream, type StreamSession } from './browser-stream.js';

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
export class BrowserProxy implements StreamSession {
  readonly target: BrowserTarget;
  private readonly limits: BrowserProxyLimits;
  private readonly jar = new CookieJar();
  private readonly httpAgent: HttpAgent | HttpsAgent;
  private readonly streams = new Set<BrowserStream>();
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
      new BrowserStream(channel, this, `at most ${this.limits.maxStreams} streams at once per session`);
      return;
    }
    this.streams.add(new BrowserStream(channel, this));
    this.stats.streams++;
  }

  close(): void {
    this.closed = true;
    for (const s of [...this.streams]) s.fail('closed', 'the session ended');
    this.httpAgent.destroy();
  }

  // ---- StreamSession: what its streams use ----

  get lim(): BrowserProxyLimits {
    return this.limits;
  }

  get log(): Logger {
    return this.opts.logger;
  }

  ended(s: BrowserStream): void {
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

  async open(req: BrowserStreamOpen, s: BrowserStream): Promise<void> {
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
