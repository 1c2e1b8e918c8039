import type { WsAsk, WsMessage } from './messages.js';

/**
 * Loaded first in every proxied HTML page (the service worker injects it; issue 20). A service worker
 * never sees WebSockets, so a page's `new WebSocket(...)` to its own origin would reach the proxy
 * origin's server, not the service. This replaces WebSocket with one that asks the session's shell
 * page (the top window, same origin) to carry it over the WebRTC link; WebSockets to other origins
 * stay native.
 */
(() => {
  const Native = window.WebSocket;
  const states = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;

  class ProxiedWebSocket extends EventTarget {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSING = 2;
    static readonly CLOSED = 3;
    readonly CONNECTING = 0;
    readonly OPEN = 1;
    readonly CLOSING = 2;
    readonly CLOSED = 3;
    readonly url: string;
    readyState: number = states.CONNECTING;
    protocol = '';
    extensions = '';
    bufferedAmount = 0;
    binaryType: BinaryType = 'blob';
    onopen: ((e: Event) => void) | null = null;
    onmessage: ((e: MessageEvent) => void) | null = null;
    onclose: ((e: CloseEvent) => void) | null = null;
    onerror: ((e: Event) => void) | null = null;
    private readonly port: MessagePort;

    constructor(url: string | URL, protocols?: string | string[]) {
      super();
      const u = new URL(String(url), location.href);
      this.url = u.href;
      const list = protocols === undefined ? [] : Array.isArray(protocols) ? protocols : [protocols];
      const channel = new MessageChannel();
      this.port = channel.port1;
      this.port.onmessage = (ev: MessageEvent<WsMessage>) => this.onPort(ev.data);
      const ask: WsAsk = { kind: 'ws-open', path: `${u.pathname}${u.search}`, protocols: list };
      window.top?.postMessage(ask, location.origin, [channel.port2]);
    }

    private fire(e: Event): void {
      this.dispatchEvent(e);
      const handler = (this as unknown as Record<string, unknown>)[`on${e.type}`];
      if (typeof handler === 'function') handler.call(this, e);
    }

    private onPort(m: WsMessage): void {
      if (m.t === 'open') {
        this.readyState = states.OPEN;
        this.protocol = m.protocol;
        this.fire(new Event('open'));
      } else if (m.t === 'text')
        this.fire(new MessageEvent('message', { data: m.data, origin: location.origin }));
      else if (m.t === 'binary')
        this.fire(
          new MessageEvent('message', {
            data: this.binaryType === 'arraybuffer' ? m.data : new Blob([m.data]),
            origin: location.origin,
          }),
        );
      else if (m.t === 'error') this.fire(new Event('error'));
      else if (m.t === 'close') this.closed(m.code, m.reason);
    }

    private closed(code: number, reason: string): void {
      if (this.readyState === states.CLOSED) return;
      this.readyState = states.CLOSED;
      this.port.close();
      this.fire(new CloseEvent('close', { code, reason, wasClean: code === 1000 }));
    }

    send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
      if (this.readyState === states.CONNECTING)
        throw new DOMException('still connecting', 'InvalidStateError');
      if (this.readyState !== states.OPEN) return;
      if (typeof data === 'string') this.port.postMessage({ t: 'text', data } satisfies WsMessage);
      else if (data instanceof Blob)
        void data
          .arrayBuffer()
          .then((b) => this.port.postMessage({ t: 'binary', data: b } satisfies WsMessage, [b]));
      else {
        const view = ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : new Uint8Array(data);
        const copy = view.slice().buffer;
        this.port.postMessage({ t: 'binary', data: copy } satisfies WsMessage, [copy]);
      }
    }

    close(code = 1000, reason = ''): void {
      if (this.readyState >= states.CLOSING) return;
      this.readyState = states.CLOSING;
      this.port.postMessage({ t: 'close', code, reason } satisfies WsMessage);
      this.closed(code, reason);
    }
  }

  const Patched = function (this: unknown, url: string | URL, protocols?: string | string[]) {
    const u = new URL(String(url), location.href);
    const sameOrigin = u.host === location.host && (u.protocol === 'ws:' || u.protocol === 'wss:');
    return sameOrigin ? new ProxiedWebSocket(u, protocols) : new Native(url, protocols);
  } as unknown as typeof WebSocket;
  Object.assign(Patched, states);
  (Patched as unknown as { prototype: unknown }).prototype = ProxiedWebSocket.prototype;
  window.WebSocket = Patched;
})();
