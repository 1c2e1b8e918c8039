import type { ClientRequest, Agent as HttpAgent, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { type Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import {
  BROWSER_PROXY_LIMITS,
  BrowserStreamEndSchema,
  type BrowserStreamErrorCode,
  type BrowserStreamOpen,
  BrowserStreamOpenSchema,
  type BrowserStreamReply,
  type BrowserTarget,
} from '@rtcmesh/protocol';
import type { Logger } from 'pino';
import type { RTCDataChannel } from 'werift';
import WebSocket from 'ws';
import type { BrowserProxyLimits } from './browser-proxy.js';

/** Response headers that describe the agent–target hop, or that the cookie jar takes. */
const DROP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'set-cookie',
  'proxy-connection',
]);

/** What a stream needs of its session (BrowserProxy): the target, the limits, the policy's word, the counters. */
export interface StreamSession {
  readonly target: BrowserTarget;
  readonly lim: BrowserProxyLimits;
  readonly log: Logger;
  /** The name TLS checks use (SNI, certificate): the host as typed, unless it is an address. */
  readonly serverName: string | undefined;
  /** The policy again, then the connection to the target (http, webSocket or tcp on `s`). */
  open(req: BrowserStreamOpen, s: BrowserStream): Promise<void>;
  counted(toBrowser: number, fromBrowser: number): void;
  ended(s: BrowserStream): void;
  storeCookies(path: string, setCookie: readonly string[]): Promise<void>;
  tlsMessage(err: Error & { code?: string }): string | undefined;
}

/**
 * One `stream` channel of a proxy session: its open request (validated), then one HTTP exchange, one
 * WebSocket or one TCP connection to the session's target, with backpressure both ways (the target
 * paused above the high water toward the tab; a stream that buffers too much from the tab ends with
 * `limit`) and an idle timer.
 */
export class BrowserStream {
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
    private readonly proxy: StreamSession,
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
    // Only the connection has a deadline: a long poll may wait minutes for its answer (the stream's
    // idle timer still ends one that moves nothing for streamIdleMs).
    req.on('socket', (sock: Socket) => {
      if (!sock.connecting) return;
      const t = setTimeout(
        () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
        this.proxy.lim.connectTimeoutMs,
      );
      sock.once('connect', () => clearTimeout(t));
      sock.once('close', () => clearTimeout(t));
    });
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
