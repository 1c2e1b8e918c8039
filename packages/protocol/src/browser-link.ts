import { z } from 'zod';
import { BrowserProxySessionSchema } from './browser-proxy.js';
import { LIMITS } from './limits.js';
import { SignalDataSchema } from './signal-data.js';

/**
 * Browser links: the console's "test from this browser" opens a WebRTC data channel from an admin's
 * browser to one agent. The browser is not a node: it has no key and never joins the network, so its
 * signals travel through the server under a one-off `linkId` the server mints per request (never a node id).
 */
export const BrowserLinkIdSchema = z.string().regex(/^bl-[A-Za-z0-9_-]{8,60}$/, 'invalid browser link id');

/** Server → agent: a browser's offer (`description`) or its end (`bye`). Candidates are inside the SDP. */
export const ServerBrowserSignalSchema = z.object({
  type: z.literal('browser-signal'),
  linkId: BrowserLinkIdSchema,
  data: SignalDataSchema,
  /** On the offer of a proxy session (browser-proxy.ts): who asks and for what. Absent: a probe link. */
  proxy: BrowserProxySessionSchema.optional(),
});
export type ServerBrowserSignal = z.infer<typeof ServerBrowserSignalSchema>;

/** Agent → server: the answer (`description`, with its candidates gathered) or a refusal (`bye`). */
export const ClientBrowserSignalSchema = z.object({
  type: z.literal('browser-signal'),
  id: z.string().max(64).optional(),
  linkId: BrowserLinkIdSchema,
  data: SignalDataSchema,
});
export type ClientBrowserSignal = z.infer<typeof ClientBrowserSignalSchema>;

/** POST /api/v1/nodes/:id/browser-link: the browser's complete offer (ICE gathering finished). */
export const BrowserLinkRequestSchema = z.object({
  sdp: z.string().min(1).max(LIMITS.maxSdpBytes),
});
export type BrowserLinkRequest = z.infer<typeof BrowserLinkRequestSchema>;

export const BrowserLinkResponseSchema = z.object({
  linkId: BrowserLinkIdSchema,
  /** The agent's complete answer. */
  sdp: z.string().min(1).max(LIMITS.maxSdpBytes),
});
export type BrowserLinkResponse = z.infer<typeof BrowserLinkResponseSchema>;

/** The label of the only data channel of a browser link (negotiated, id 0). Carries `{t:'ping'|'pong', id}`. */
export const BROWSER_LINK_CHANNEL = { label: 'probe', id: 0 } as const;

// ---- Console sign-in: POST /api/v1/session {token} → Set-Cookie; DELETE /api/v1/session; GET /api/v1/session ----

export const SessionRequestSchema = z.object({ token: z.string().min(1).max(256) });
export type SessionRequest = z.infer<typeof SessionRequestSchema>;

export const SessionInfoSchema = z.object({ signedIn: z.boolean(), expiresAt: z.number().int().nullable() });
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

/** Required on every state-changing console request made with the session cookie (CSRF defence). */
export const CSRF_HEADER = 'x-rtcmesh-csrf';
