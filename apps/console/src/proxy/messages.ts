/**
 * Messages between the proxy origin's three parts (issue 20): the service worker (sw.ts), the shell
 * page that holds the WebRTC link (shell.ts), and the WebSocket shim inside the proxied page
 * (ws-shim.ts). Each exchange has a MessagePort of its own; these are the messages on it.
 */

/** SW → shell: one HTTP request of the proxied page. `port` answers with FetchReply messages. */
export interface FetchAsk {
  kind: 'fetch';
  sessionId: string;
  method: string;
  /** Path and query on the target. */
  path: string;
  headers: [string, string][];
  body: ArrayBuffer | null;
}

export type FetchReply =
  /** `origin`: the target's (`http://127.0.0.1:3000`), for rewriting redirects to it. */
  | { t: 'head'; status: number; statusText: string; headers: [string, string][]; origin: string }
  | { t: 'chunk'; data: ArrayBuffer }
  | { t: 'end' }
  | { t: 'error'; code: string; message: string };

/** Shim → shell: a WebSocket of the proxied page. Then WsMessage both ways on the port. */
export interface WsAsk {
  kind: 'ws-open';
  path: string;
  protocols: string[];
}

export type WsMessage =
  | { t: 'open'; protocol: string }
  | { t: 'text'; data: string }
  | { t: 'binary'; data: ArrayBuffer }
  | { t: 'close'; code: number; reason: string }
  | { t: 'error'; message: string };

/** `/s/<session>/…` on the proxy origin (sw.ts keeps a copy: the worker is one script without imports). */
export const SESSION_PATH = /^\/s\/(bs-[A-Za-z0-9_-]{8,60})\/(.*)$/;
/** The proxied pages live under `/s/<session>/p/`. */
export const PAGE_PREFIX = 'p/';
