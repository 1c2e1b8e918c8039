import { z } from 'zod';
import { ClientBrowserSignalSchema } from './browser-link.js';
import {
  Base64Schema,
  BindingSchema,
  NodeIdSchema,
  plainText,
  RouteSchema,
  ScalarRecordSchema,
} from './common.js';
import { LIMITS } from './limits.js';
import { SignalDataSchema } from './signal-data.js';
import { AgentEventSchema, TelemetrySchema } from './telemetry.js';

/** Optional client-chosen id; an `error` caused by the message echoes it as `ref`. */
const RequestId = z.string().max(64).optional();

/** First message of every session. */
export const HelloSchema = z.object({
  type: z.literal('hello'),
  id: RequestId,
  versions: z.array(z.number().int().positive()).min(1).max(LIMITS.maxVersions),
  nodeId: NodeIdSchema,
  agentVersion: plainText(64).optional(),
});

/** Answer to `challenge`: Ed25519 signature (base64) over authChallengeBytes(). */
export const AuthSchema = z.object({
  type: z.literal('auth'),
  id: RequestId,
  signature: Base64Schema.max(128),
});

/** Relay `data` to the node `to` of the same network. */
export const ClientSignalSchema = z.object({
  type: z.literal('signal'),
  id: RequestId,
  to: NodeIdSchema,
  data: SignalDataSchema,
});

/** Replace this node's advertised bindings and/or routes (a field left out is left unchanged). */
export const AdvertiseSchema = z.object({
  type: z.literal('advertise'),
  id: RequestId,
  bindings: z.array(BindingSchema).max(LIMITS.maxBindings).optional(),
  routes: z.array(RouteSchema).max(LIMITS.maxRoutes).optional(),
});

export const ClientTelemetrySchema = TelemetrySchema.extend({
  type: z.literal('telemetry'),
  id: RequestId,
});

export const ClientEventSchema = z.object({
  type: z.literal('event'),
  id: RequestId,
  event: AgentEventSchema,
});

/** Self-reported status: netcheck results and the like, shown by the console. */
export const StatusSchema = z.object({
  type: z.literal('status'),
  id: RequestId,
  netcheck: ScalarRecordSchema.optional(),
});

/** Application ping: the server answers `pong` with the same `ts`. */
export const ClientPingSchema = z.object({
  type: z.literal('ping'),
  id: RequestId,
  ts: z.number(),
});

/**
 * Rotate this node's key (`rtcmesh rekey`). The session proves the old key; `signature` proves the new
 * one: signDomain(newKey, REKEY_DOMAIN, rekeyPayload(nodeId, oldPublicKey, publicKey)). The server
 * answers `rekeyed` (or `error` with this message's `id` as `ref`), bans the old key and tells peers.
 */
export const RekeySchema = z.object({
  type: z.literal('rekey'),
  id: RequestId,
  publicKey: Base64Schema.max(64),
  signature: Base64Schema.max(128),
});

export const ClientMessageSchema = z.discriminatedUnion('type', [
  HelloSchema,
  AuthSchema,
  ClientSignalSchema,
  AdvertiseSchema,
  ClientTelemetrySchema,
  ClientEventSchema,
  StatusSchema,
  ClientPingSchema,
  ClientBrowserSignalSchema,
  RekeySchema,
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
export type ClientMessageType = ClientMessage['type'];
export const CLIENT_MESSAGE_TYPES: readonly ClientMessageType[] = ClientMessageSchema.options.map(
  (o) => o.shape.type.value,
);
export type Hello = z.infer<typeof HelloSchema>;
export type Auth = z.infer<typeof AuthSchema>;
export type ClientSignal = z.infer<typeof ClientSignalSchema>;
export type Advertise = z.infer<typeof AdvertiseSchema>;
export type ClientTelemetry = z.infer<typeof ClientTelemetrySchema>;
export type ClientEvent = z.infer<typeof ClientEventSchema>;
export type Status = z.infer<typeof StatusSchema>;
export type Rekey = z.infer<typeof RekeySchema>;
export type ClientPing = z.infer<typeof ClientPingSchema>;
