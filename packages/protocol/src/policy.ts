import { z } from 'zod';
import { Base64Schema, NameSchema, NodeIdSchema, NodeTagSchema } from './common.js';

/**
 * The network's access policy (ACLs) on the wire. Its full schema lives in @rtcmesh/policy (the server
 * validates a policy before storing it, and every agent validates it again before enforcing it: never
 * trust the sender); here only the envelope: a JSON object with the version the server gave it.
 */
export const PolicyDocumentWireSchema = z.looseObject({
  version: z.number().int().nonnegative(),
});
export type PolicyDocumentWire = z.infer<typeof PolicyDocumentWireSchema>;

/** Server -> agent: the network's policy changed (also sent right after `welcome` carries one). */
export const PolicyMessageSchema = z.object({
  type: z.literal('policy'),
  policy: PolicyDocumentWireSchema,
  /**
   * Locked networks: an operator lock key's signature over policyPayload(networkId, policy), made
   * with `rtcmesh-signal lock sign-policy`. Agents of a locked network enforce only signed policies.
   */
  signature: Base64Schema.max(128).optional(),
});
export type PolicyMessage = z.infer<typeof PolicyMessageSchema>;

/** PUT /api/v1/nodes/:id/tags */
export const SetTagsRequestSchema = z.object({ tags: z.array(NodeTagSchema).max(64) });
export type SetTagsRequest = z.infer<typeof SetTagsRequestSchema>;

/** PUT /api/v1/nodes/:id/name: a node's new name (unique in its network, also as a DNS label). */
export const RenameNodeRequestSchema = z.object({ name: NameSchema });
export type RenameNodeRequest = z.infer<typeof RenameNodeRequestSchema>;

/** GET/PUT /api/v1/networks/:id/policy answer. */
export const PolicyResponseSchema = z.object({
  networkId: NodeIdSchema,
  policy: PolicyDocumentWireSchema,
  updatedAt: z.number().int().nullable(),
  /** Locked networks: the operator signature of this very document, when it has one. */
  signature: Base64Schema.max(128).optional(),
});

/** PUT /api/v1/networks/:id/policy/signature: an operator's signature of the stored policy. */
export const PolicySignatureRequestSchema = z.object({
  /** The version that was signed: a policy changed since then answers 409. */
  version: z.number().int().positive(),
  signature: Base64Schema.max(128),
});
export type PolicySignatureRequest = z.infer<typeof PolicySignatureRequestSchema>;
export type PolicyResponse = z.infer<typeof PolicyResponseSchema>;

/** Route approval (issue 16): an advertised subnet or host route is distributed only once approved. */
export const RouteStateSchema = z.enum(['pending', 'approved', 'rejected']);
export type RouteState = z.infer<typeof RouteStateSchema>;

export const RouteInfoSchema = z.object({
  nodeId: NodeIdSchema,
  node: z.string(),
  prefix: z.string(),
  state: RouteStateSchema,
  /** Approved by the policy's autoApprovers rather than by an admin. */
  auto: z.boolean().optional(),
  /** A workload's host route, approved with the approved prefix it lies in (`--mobility`). */
  within: z.string().optional(),
});
export type RouteInfo = z.infer<typeof RouteInfoSchema>;

/** GET /api/v1/networks/:id/routes */
export const RouteListResponseSchema = z.object({
  networkId: NodeIdSchema,
  routes: z.array(RouteInfoSchema),
});
export type RouteListResponse = z.infer<typeof RouteListResponseSchema>;

/** PUT /api/v1/networks/:id/routes: an admin approves or rejects one advertised prefix of one node. */
export const RouteDecisionRequestSchema = z.object({
  node: z.string().min(1).max(64),
  prefix: z.union([z.cidrv4(), z.cidrv6()]),
  state: z.enum(['approved', 'rejected']),
});
export type RouteDecisionRequest = z.infer<typeof RouteDecisionRequestSchema>;
