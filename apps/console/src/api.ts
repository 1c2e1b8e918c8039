import {
  type ApiError,
  type BrowserLinkResponse,
  type BrowserSessionResponse,
  type CreateKeyRequest,
  type CreateKeyResponse,
  type CreateNetworkRequest,
  CSRF_HEADER,
  type FeedEvent,
  type JoinKeyInfo,
  type NetworkSummary,
  type NodeSummary,
  type PolicyResponse,
  type RouteInfo,
  type RouteListResponse,
  type SessionInfo,
  type TelemetryEntry,
} from '@rtcmesh/protocol/browser';

/** A failed API call, with the server's error code (`unauthorized`, `not-found`...). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The whole error body (a refused policy carries `issues`: [{ path, message }]). */
    readonly body: unknown = null,
  ) {
    super(message);
  }
}

/**
 * Every request goes with the HttpOnly session cookie (same origin) and the CSRF header; the admin
 * token itself is only ever sent once, to /api/v1/session, and never stored by the console.
 */
async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { [CSRF_HEADER]: '1' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // A proxy's HTML error page or a truncated answer: an ApiFailure the views can show, not a SyntaxError.
    if (res.ok) throw new ApiFailure(res.status, 'bad-answer', 'the server sent an answer that is not JSON');
  }
  if (!res.ok) {
    const err = (json as ApiError | null)?.error;
    // Only strings: whatever else an error body holds must not reach the views as a code or message.
    const code = typeof err?.code === 'string' && err.code ? err.code : 'http';
    const message = typeof err?.message === 'string' && err.message ? err.message : `HTTP ${res.status}`;
    throw new ApiFailure(res.status, code, message, json);
  }
  return json as T;
}

export const api = {
  session: () => call<SessionInfo>('GET', '/api/v1/session'),
  signIn: (token: string) => call<SessionInfo>('POST', '/api/v1/session', { token }),
  signOut: () => call<SessionInfo>('DELETE', '/api/v1/session'),
  networks: () => call<{ networks: NetworkSummary[] }>('GET', '/api/v1/networks'),
  createNetwork: (req: CreateNetworkRequest) => call<NetworkSummary>('POST', '/api/v1/networks', req),
  nodes: () => call<{ nodes: NodeSummary[] }>('GET', '/api/v1/nodes'),
  removeNode: (id: string) => call<NodeSummary>('DELETE', `/api/v1/nodes/${encodeURIComponent(id)}`),
  keys: () => call<{ keys: JoinKeyInfo[] }>('GET', '/api/v1/keys'),
  createKey: (req: CreateKeyRequest) => call<CreateKeyResponse>('POST', '/api/v1/keys', req),
  revokeKey: (id: string) => call<JoinKeyInfo>('DELETE', `/api/v1/keys/${encodeURIComponent(id)}`),
  telemetry: () => call<{ links: TelemetryEntry[] }>('GET', '/api/v1/telemetry'),
  recentEvents: () => call<{ events: FeedEvent[] }>('GET', '/api/v1/events/recent?limit=500'),
  policy: (networkId: string) =>
    call<PolicyResponse>('GET', `/api/v1/networks/${encodeURIComponent(networkId)}/policy`),
  putPolicy: (networkId: string, policy: unknown) =>
    call<PolicyResponse>('PUT', `/api/v1/networks/${encodeURIComponent(networkId)}/policy`, policy),
  routes: (networkId: string) =>
    call<RouteListResponse>('GET', `/api/v1/networks/${encodeURIComponent(networkId)}/routes`),
  decideRoute: (networkId: string, node: string, prefix: string, state: 'approved' | 'rejected') =>
    call<RouteInfo>('PUT', `/api/v1/networks/${encodeURIComponent(networkId)}/routes`, {
      node,
      prefix,
      state,
    }),
  setL2Settings: (
    networkId: string,
    settings: { stormPps?: number; stormBurst?: number; blockDhcp?: boolean },
  ) => call<NetworkSummary>('PUT', `/api/v1/networks/${encodeURIComponent(networkId)}/l2`, settings),
  setTags: (nodeId: string, tags: string[]) =>
    call<NodeSummary>('PUT', `/api/v1/nodes/${encodeURIComponent(nodeId)}/tags`, { tags }),
  browserLink: (nodeId: string, sdp: string) =>
    call<BrowserLinkResponse>('POST', `/api/v1/nodes/${encodeURIComponent(nodeId)}/browser-link`, { sdp }),
  browserSession: (nodeId: string, target: string) =>
    call<BrowserSessionResponse>('POST', `/api/v1/nodes/${encodeURIComponent(nodeId)}/browser-sessions`, {
      target,
    }),
};
