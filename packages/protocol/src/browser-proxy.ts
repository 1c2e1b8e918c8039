import { z } from 'zod';
import { IceServerSchema } from './common.js';

/**
 * The browser as a member (issue 20): an admin's browser tab reaches a service through one agent,
 * over the same WebRTC path as "test from this browser". The server mints a proxy session (node,
 * target, principal); the tab then opens one reliable, ordered data channel per stream (an HTTP
 * exchange, a WebSocket, a raw TCP connection), labelled `stream`. The first message on a stream is
 * its open request (JSON text); what follows is described beside each kind below.
 */

/** The label of every stream channel the tab opens on a proxy link. */
export const BROWSER_STREAM_LABEL = 'stream';

/** Limits both ends hold each other to (the agent enforces them; the tab stays inside them). */
export const BROWSER_PROXY_LIMITS = {
  /** Largest data message on a stream channel: browsers and werift agree on 16 KiB. */
  maxChunkBytes: 16 * 1024,
  /** Largest open request (JSON) and largest text message of a WebSocket. */
  maxOpenBytes: 64 * 1024,
  maxTargetChars: 300,
} as const;

export type BrowserTargetScheme = 'http' | 'https' | 'tcp';

/** A proxy target as the admin typed it, checked: `http://127.0.0.1:3000/`, `https://host:8443`, `tcp://10.1.0.5:6379`. */
export interface BrowserTarget {
  scheme: BrowserTargetScheme;
  /** A hostname, an IPv4 address or an IPv6 address (without brackets). */
  host: string;
  port: number;
  /** The first page (http/https), starting with `/`. */
  path: string;
}

/** Parses a target; a string is the reason it is refused. */
export function parseBrowserTarget(text: string): BrowserTarget | string {
  if (text.length > BROWSER_PROXY_LIMITS.maxTargetChars)
    return `a target is at most ${BROWSER_PROXY_LIMITS.maxTargetChars} characters`;
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return `"${text}" is not a URL (e.g. http://127.0.0.1:3000/ or tcp://10.1.0.5:6379)`;
  }
  const scheme = u.protocol.replace(/:$/, '');
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'tcp')
    return `scheme ${scheme}: is not one of http:, https:, tcp:`;
  if (u.username || u.password) return 'a target carries no user name or password';
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return 'the target has no host';
  const port = u.port !== '' ? Number(u.port) : scheme === 'http' ? 80 : scheme === 'https' ? 443 : 0;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    return scheme === 'tcp' ? 'a tcp:// target needs a port (tcp://host:port)' : 'bad port';
  const path = scheme === 'tcp' ? '/' : `${u.pathname || '/'}${u.search}`;
  if (scheme === 'tcp' && (u.pathname.length > 1 || u.search)) return 'a tcp:// target has no path';
  return { scheme, host, port, path };
}

/** The target's origin as the service sees it (`Host` header, rewritten redirects). */
export function browserTargetOrigin(t: BrowserTarget): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  const defaultPort = t.scheme === 'http' ? 80 : t.scheme === 'https' ? 443 : -1;
  return `${t.scheme}://${host}${t.port === defaultPort ? '' : `:${t.port}`}`;
}

export const BrowserTargetSchema = z
  .string()
  .max(BROWSER_PROXY_LIMITS.maxTargetChars)
  .superRefine((s, ctx) => {
    const t = parseBrowserTarget(s);
    if (typeof t === 'string') ctx.addIssue({ code: 'custom', message: t });
  });

/** The principal a browser acts as in the policy (`browser:admin`). */
export const BrowserPrincipalSchema = z.string().regex(/^browser:[a-z0-9][a-z0-9_.-]{0,62}$/);

/** What the server adds to a browser's offer when it opens a proxy session (absent: a probe link). */
export const BrowserProxySessionSchema = z.strictObject({
  sessionId: z.string().regex(/^bs-[A-Za-z0-9_-]{8,60}$/),
  principal: BrowserPrincipalSchema,
  target: BrowserTargetSchema,
});
export type BrowserProxySession = z.infer<typeof BrowserProxySessionSchema>;

const Path = z
  .string()
  .min(1)
  .max(8192)
  .regex(/^\/[^\s]*$/, 'a path starts with / and has no spaces');
const Header = z.tuple([z.string().min(1).max(256), z.string().max(8192)]);

/**
 * The first message of a stream. `http`: the request; the tab then sends the body as binary
 * messages and `{"t":"end"}`; the agent answers `response`, the body as binary messages, `end`.
 * `ws`: a WebSocket to `path`; after `open`, text messages are text frames and binary messages
 * binary frames, both ways; closing the channel closes the WebSocket. `tcp`: the session's
 * tcp:// target; after `open`, binary messages both ways. Errors: `{"t":"error"}`, then the agent
 * closes the channel.
 */
export const BrowserStreamOpenSchema = z.discriminatedUnion('t', [
  z.strictObject({
    t: z.literal('http'),
    method: z.string().regex(/^[A-Z]{1,16}$/, 'an HTTP method in capitals'),
    path: Path,
    headers: z.array(Header).max(100),
  }),
  z.strictObject({
    t: z.literal('ws'),
    path: Path,
    protocols: z.array(z.string().min(1).max(128)).max(16),
  }),
  z.strictObject({ t: z.literal('tcp') }),
]);
export type BrowserStreamOpen = z.infer<typeof BrowserStreamOpenSchema>;

/** The tab's end of a request body. */
export const BrowserStreamEndSchema = z.strictObject({ t: z.literal('end') });

/** Why the agent refused or ended a stream, for the tab's error page. */
export type BrowserStreamErrorCode =
  | 'bad-request'
  | 'policy'
  | 'limit'
  | 'unreachable'
  | 'tls'
  | 'timeout'
  | 'closed';

/** Agent → tab, text messages on a stream. */
export type BrowserStreamReply =
  | { t: 'response'; status: number; statusText: string; headers: [string, string][] }
  | { t: 'open'; protocol?: string }
  | { t: 'end' }
  | { t: 'error'; code: BrowserStreamErrorCode; message: string };

export const BrowserStreamReplySchema = z.discriminatedUnion('t', [
  z.strictObject({
    t: z.literal('response'),
    status: z.number().int().min(100).max(599),
    statusText: z.string().max(256),
    headers: z.array(Header).max(200),
  }),
  z.strictObject({ t: z.literal('open'), protocol: z.string().max(128).optional() }),
  z.strictObject({ t: z.literal('end') }),
  z.strictObject({
    t: z.literal('error'),
    code: z.enum(['bad-request', 'policy', 'limit', 'unreachable', 'tls', 'timeout', 'closed']),
    message: z.string().max(1000),
  }),
]);

/** POST /api/v1/nodes/:id/browser-sessions {target} → where the tab goes. */
export const BrowserSessionRequestSchema = z.strictObject({ target: BrowserTargetSchema });
export type BrowserSessionRequest = z.infer<typeof BrowserSessionRequestSchema>;

export const BrowserSessionResponseSchema = z.object({
  sessionId: z.string(),
  /** The node's name and the target, as the audit log and the tab show them. */
  node: z.string(),
  target: z.string(),
  /** The proxy origin's page for this session: open it in a new tab. */
  url: z.string(),
  expiresAt: z.number().int(),
});
export type BrowserSessionResponse = z.infer<typeof BrowserSessionResponseSchema>;

/** GET <proxy origin>/s/<session>/info: what the tab shows while it connects. */
export const BrowserSessionInfoSchema = z.object({
  sessionId: z.string(),
  node: z.string(),
  nodeId: z.string(),
  target: z.string(),
  principal: z.string(),
  expiresAt: z.number().int(),
  /** STUN, and TURN with a credential minted for this session: a tab behind a NAT needs a relay too. */
  iceServers: z.array(IceServerSchema),
});
export type BrowserSessionInfo = z.infer<typeof BrowserSessionInfoSchema>;
