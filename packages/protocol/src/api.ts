import { z } from 'zod';
import {
  Base64Schema,
  CidrSchema,
  L2SettingsSchema,
  MacSchema,
  NameSchema,
  NetworkIdSchema,
  NetworkInfoSchema,
  NetworkModeSchema,
  NodeIdSchema,
  PeerInfoSchema,
  plainText,
  ScalarRecordSchema,
} from './common.js';
import { AgentEventSchema, LinkReportSchema } from './telemetry.js';

// ---- POST /api/v1/join (authenticated by the join key, no admin token) ----

export const JoinRequestSchema = z.object({
  key: z.string().min(1).max(256),
  /** Ed25519 public key, base64 of the 32 raw bytes. */
  publicKey: Base64Schema.max(64),
  name: NameSchema,
  hostname: z.string().max(255).optional(),
  os: z.string().max(64).optional(),
  agentVersion: plainText(64),
  /**
   * The node key's signature (base64) over joinPayload(key, publicKey, name), domain "join"
   * (`signJoinRequest` builds it). Required by the server; optional in the schema so that a bad join
   * key is still answered as such first.
   */
  proof: Base64Schema.max(128).optional(),
});
export type JoinRequest = z.infer<typeof JoinRequestSchema>;

export const JoinResponseSchema = z.object({
  nodeId: NodeIdSchema,
  name: NameSchema,
  network: NetworkInfoSchema,
  addresses: z.array(CidrSchema),
  mac: MacSchema,
});
export type JoinResponse = z.infer<typeof JoinResponseSchema>;

/** Every REST error: HTTP status + this body. `code` is one of ErrorCode. */
export const ApiErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ApiError = z.infer<typeof ApiErrorSchema>;

// ---- Admin API (Authorization: Bearer <admin token>) ----

export const CreateNetworkRequestSchema = z.object({
  name: NameSchema,
  mode: NetworkModeSchema,
  /** IPv4 CIDR, prefix /8 to /30; default 10.99.0.0/24. */
  cidr: z.cidrv4().optional(),
  /**
   * L3 networks: their IPv6 prefix. "auto" (the default for L3): a new unique local /64; "off": IPv4
   * only; or a prefix (unique local or global unicast, /16 to /120, room for every IPv4 host number).
   */
  ipv6: z.union([z.literal('auto'), z.literal('off'), z.cidrv6()]).optional(),
  mtu: z.number().int().min(576).max(9000).optional(),
});
export type CreateNetworkRequest = z.infer<typeof CreateNetworkRequestSchema>;

/** PUT /api/v1/networks/:id/l2: the L2 settings to change (the others stay). */
export const SetL2SettingsRequestSchema = L2SettingsSchema.partial()
  .strict()
  .refine((r) => Object.keys(r).length > 0, 'nothing to set');
export type SetL2SettingsRequest = z.infer<typeof SetL2SettingsRequestSchema>;

/** PUT /api/v1/networks/:id/lock: operator public keys (base64 Ed25519); an empty list unlocks. */
export const SetLockRequestSchema = z.object({
  keys: z.array(z.base64().max(64)).max(8),
  /**
   * With an empty list: an operator's signed statement that lifts the lock (keys.ts,
   * signLockDisablement), passed on to agents so they unpin the keys too.
   */
  disablement: z.object({ key: z.base64().max(64), signature: z.base64().max(128) }).optional(),
});
export type SetLockRequest = z.infer<typeof SetLockRequestSchema>;

/** PUT /api/v1/nodes/:id/key-signature: an operator's signature over the node's current key. */
export const SignNodeKeyRequestSchema = z.object({
  signature: z.base64().max(128),
});
export type SignNodeKeyRequest = z.infer<typeof SignNodeKeyRequestSchema>;

export const NetworkSummarySchema = NetworkInfoSchema.extend({
  createdAt: z.number().int(),
  nodeCount: z.number().int(),
  onlineCount: z.number().int(),
});
export type NetworkSummary = z.infer<typeof NetworkSummarySchema>;

export const CreateKeyRequestSchema = z.object({
  /** Network id or name. */
  network: z.string().min(1).max(64),
  reusable: z.boolean().optional(),
  /** Lifetime in seconds; omitted = never expires. */
  ttlSeconds: z
    .number()
    .int()
    .positive()
    .max(10 * 365 * 86400)
    .optional(),
  description: plainText(256).optional(),
});
export type CreateKeyRequest = z.infer<typeof CreateKeyRequestSchema>;

export const JoinKeyInfoSchema = z.object({
  id: z.string(),
  networkId: NetworkIdSchema,
  reusable: z.boolean(),
  description: z.string().nullable(),
  createdAt: z.number().int(),
  expiresAt: z.number().int().nullable(),
  revokedAt: z.number().int().nullable(),
  uses: z.number().int(),
  /** Derived: usable now (not expired, not revoked, not a used single-use key). */
  valid: z.boolean(),
});
export type JoinKeyInfo = z.infer<typeof JoinKeyInfoSchema>;

/** The secret key string is returned once, here, and never again. */
export const CreateKeyResponseSchema = z.object({ key: z.string(), info: JoinKeyInfoSchema });
export type CreateKeyResponse = z.infer<typeof CreateKeyResponseSchema>;

export const NodeSummarySchema = PeerInfoSchema.extend({
  networkId: NetworkIdSchema,
  hostname: z.string().nullable(),
  os: z.string().nullable(),
  createdAt: z.number().int(),
  netcheck: ScalarRecordSchema.nullable(),
  /** Locked networks only: whether `keySignature` verifies with one of the network's lock keys. */
  keySigned: z.boolean().optional(),
});
export type NodeSummary = z.infer<typeof NodeSummarySchema>;

export const TelemetryEntrySchema = z.object({
  networkId: NetworkIdSchema,
  nodeId: NodeIdSchema,
  receivedAt: z.number().int(),
  link: LinkReportSchema,
});
export type TelemetryEntry = z.infer<typeof TelemetryEntrySchema>;

// ---- Audit log: GET /api/v1/audit (admin) ----

export const AuditEntrySchema = z.object({
  id: z.number().int(),
  at: z.number().int(),
  /**
   * Who: `token:<8 hex>` (Bearer admin token), `session:<8 hex>` (console session) — the first 8 hex
   * digits of the SHA-256 of the secret, never the secret —, `local socket`, or `anonymous` (failed sign-in).
   */
  actor: z.string(),
  /** What, e.g. `network.create`, `key.revoke`, `node.remove`, `admin.rotate-token`, `session.sign-in`. */
  action: z.string(),
  /** The id or name acted on, when there is one. */
  target: z.string().nullable(),
  /** Client address (after `--trust-proxy`), null on the local socket. */
  source: z.string().nullable(),
  /** `ok`, or the error code the request was answered with. */
  result: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** POST /api/v1/admin/rotate-token: the new token, shown once. */
export const RotateTokenResponseSchema = z.object({
  adminToken: z.string(),
  /** Console sessions signed out by the rotation. */
  sessionsRevoked: z.number().int(),
});
export type RotateTokenResponse = z.infer<typeof RotateTokenResponseSchema>;

// ---- Live feed: GET /api/v1/events (SSE; event name = kind, data = JSON of the event) ----

const FeedBase = { seq: z.number().int(), at: z.number().int() };

export const FeedEventSchema = z.discriminatedUnion('kind', [
  z.object({
    ...FeedBase,
    kind: z.literal('presence'),
    networkId: NetworkIdSchema,
    nodeId: NodeIdSchema,
    online: z.boolean(),
  }),
  z.object({
    ...FeedBase,
    kind: z.literal('node'),
    action: z.enum(['joined', 'updated', 'removed']),
    networkId: NetworkIdSchema,
    nodeId: NodeIdSchema,
    node: NodeSummarySchema.nullable(),
  }),
  z.object({
    ...FeedBase,
    kind: z.literal('network'),
    action: z.enum(['created', 'updated', 'deleted']),
    network: NetworkSummarySchema,
  }),
  z.object({
    ...FeedBase,
    kind: z.literal('key'),
    action: z.enum(['created', 'revoked']),
    key: JoinKeyInfoSchema,
  }),
  z.object({
    ...FeedBase,
    kind: z.literal('join-rejected'),
    networkId: NetworkIdSchema.nullable(),
    code: z.string(),
    reason: z.string(),
    name: z.string().nullable(),
    remoteAddress: z.string().nullable(),
  }),
  z.object({
    ...FeedBase,
    kind: z.literal('telemetry'),
    networkId: NetworkIdSchema,
    nodeId: NodeIdSchema,
    links: z.array(LinkReportSchema),
    /** As in the agent's report: only what changed (see TelemetrySchema). */
    partial: z.boolean().optional(),
    gone: z.array(NodeIdSchema).optional(),
  }),
  z.object({
    ...FeedBase,
    kind: z.literal('agent-event'),
    networkId: NetworkIdSchema,
    nodeId: NodeIdSchema,
    event: AgentEventSchema,
  }),
  z.object({
    ...FeedBase,
    kind: z.literal('audit'),
    entry: AuditEntrySchema,
  }),
]);
export type FeedEvent = z.infer<typeof FeedEventSchema>;
/** A feed event before the server numbers and timestamps it. */
export type FeedEventInput = FeedEvent extends infer E
  ? E extends FeedEvent
    ? Omit<E, 'seq' | 'at'>
    : never
  : never;
