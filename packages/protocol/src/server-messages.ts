import { z } from 'zod';
import { ServerBrowserSignalSchema } from './browser-link.js';
import { ERROR_CODES, type ErrorCode } from './codes.js';
import {
  Base64Schema,
  IceServerSchema,
  NetworkInfoSchema,
  NodeIdSchema,
  PeerInfoSchema,
  SelfInfoSchema,
} from './common.js';
import { PolicyDocumentWireSchema, PolicyMessageSchema } from './policy.js';
import { SignalDataSchema } from './signal-data.js';

/** Answer to `hello`: sign authChallengeBytes({ nodeId, nonce, version }) and send `auth`. */
export const ChallengeSchema = z.object({
  type: z.literal('challenge'),
  /** 32 random bytes, base64url; used once. */
  nonce: z.string().min(16).max(128),
  /** The negotiated protocol version. */
  version: z.number().int().positive(),
});

/** Session authenticated: everything the node needs to configure itself. */
export const WelcomeSchema = z.object({
  type: z.literal('welcome'),
  version: z.number().int().positive(),
  self: SelfInfoSchema,
  network: NetworkInfoSchema,
  iceServers: z.array(IceServerSchema),
  /** Every other node of the network, online or not. */
  peers: z.array(PeerInfoSchema),
  /** Server clock (epoch ms), to judge skew. */
  serverTime: z.number().int(),
  /** Epoch ms when the TURN credentials in iceServers expire (a `config` arrives well before). */
  iceServersExpireAt: z.number().int().nullable(),
  /** The network's access policy; absent: no policy (everything allowed). Updates come as `policy`. */
  policy: PolicyDocumentWireSchema.optional(),
  /** Locked networks: the operator signature of `policy` (see PolicyMessage.signature). */
  policySignature: Base64Schema.max(128).optional(),
  /**
   * Protocol 2: true when `peers` is only the first page of the list and `peers` messages follow
   * with the rest (the last one has `more: false`). The welcome is complete, and the peer list is a
   * full resync, only then. Pages keep every message far below a client's message limit however
   * large a network's advertisements grow.
   */
  morePeers: z.boolean().optional(),
});

/** Protocol 2: a further page of the welcome's peer list (see `morePeers`). */
export const PeersPageSchema = z.object({
  type: z.literal('peers'),
  peers: z.array(PeerInfoSchema),
  /** True: another page follows. */
  more: z.boolean(),
});

/** Updated configuration; fields left out are unchanged. Sent when TURN credentials are re-minted. */
export const ConfigSchema = z.object({
  type: z.literal('config'),
  self: SelfInfoSchema.optional(),
  network: NetworkInfoSchema.optional(),
  iceServers: z.array(IceServerSchema).optional(),
  iceServersExpireAt: z.number().int().nullable().optional(),
});

/** A node came online (it may be new to the network). */
export const PeerJoinedSchema = z.object({ type: z.literal('peer-joined'), peer: PeerInfoSchema });
/** A node's info changed (advertisements, endpoint, version...). Carries the full new PeerInfo. */
export const PeerUpdatedSchema = z.object({ type: z.literal('peer-updated'), peer: PeerInfoSchema });
/** A node went offline (its session ended). Links to it may stay up: the data plane does not need us. */
export const PeerLeftSchema = z.object({
  type: z.literal('peer-left'),
  nodeId: NodeIdSchema,
  lastSeen: z.number().int(),
});
/** An admin removed the node: tear down every link to it and forget it. */
export const PeerRemovedSchema = z.object({ type: z.literal('peer-removed'), nodeId: NodeIdSchema });

/** A relayed signal; `from` is stamped by the server from the authenticated session. */
export const ServerSignalSchema = z.object({
  type: z.literal('signal'),
  from: NodeIdSchema,
  data: SignalDataSchema,
});

export const ErrorMessageSchema = z.object({
  type: z.literal('error'),
  code: z.custom<ErrorCode>((v) => typeof v === 'string' && (ERROR_CODES as readonly string[]).includes(v)),
  message: z.string(),
  /** The `id` of the client message that caused it, if it had one. */
  ref: z.string().optional(),
});

export const PongSchema = z.object({
  type: z.literal('pong'),
  ts: z.number(),
  serverTime: z.number().int(),
});

/**
 * The server is closing this session on purpose; the close code follows.
 * - `reconnect-elsewhere` (close code ReconnectElsewhere): this instance is shutting down; connect to
 *   another of your server URLs now, without backoff (the same URL again only after backoff).
 * - `server-shutdown` (ServerShutdown): going away; reconnect with backoff (older servers send it).
 * - `node-removed` (NodeRemoved): do not reconnect. `session-replaced` (SessionReplaced): a newer session
 *   of this node exists (on this or another instance).
 */
export const ServerByeSchema = z.object({
  type: z.literal('bye'),
  reason: z.enum(['server-shutdown', 'node-removed', 'session-replaced', 'reconnect-elsewhere']),
  message: z.string().optional(),
});

/** The node key was rotated: sessions from now on authenticate with `publicKey`. */
export const RekeyedSchema = z.object({
  type: z.literal('rekeyed'),
  /** The `id` of the `rekey` message. */
  ref: z.string().max(64).optional(),
  publicKey: Base64Schema.max(64),
});

export const ServerMessageSchema = z.discriminatedUnion('type', [
  ChallengeSchema,
  WelcomeSchema,
  PeersPageSchema,
  ConfigSchema,
  PeerJoinedSchema,
  PeerUpdatedSchema,
  PeerLeftSchema,
  PeerRemovedSchema,
  ServerSignalSchema,
  ErrorMessageSchema,
  PongSchema,
  ServerByeSchema,
  ServerBrowserSignalSchema,
  RekeyedSchema,
  PolicyMessageSchema,
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;
export type ServerMessageType = ServerMessage['type'];
export const SERVER_MESSAGE_TYPES: readonly ServerMessageType[] = ServerMessageSchema.options.map(
  (o) => o.shape.type.value,
);
export type Challenge = z.infer<typeof ChallengeSchema>;
export type Welcome = z.infer<typeof WelcomeSchema>;
export type PeersPage = z.infer<typeof PeersPageSchema>;
export type Rekeyed = z.infer<typeof RekeyedSchema>;
export type Config = z.infer<typeof ConfigSchema>;
export type PeerJoined = z.infer<typeof PeerJoinedSchema>;
export type PeerUpdated = z.infer<typeof PeerUpdatedSchema>;
export type PeerLeft = z.infer<typeof PeerLeftSchema>;
export type PeerRemoved = z.infer<typeof PeerRemovedSchema>;
export type ServerSignal = z.infer<typeof ServerSignalSchema>;
export type ErrorMessage = z.infer<typeof ErrorMessageSchema>;
export type Pong = z.infer<typeof PongSchema>;
export type ServerBye = z.infer<typeof ServerByeSchema>;
