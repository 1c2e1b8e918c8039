import {
  BrowserLinkIdSchema,
  BrowserProxySessionSchema,
  ClientBrowserSignalSchema,
  LIMITS,
} from '@rtcmesh/protocol';
import { z } from 'zod';

/**
 * What instances tell each other over the bus. The bus (Redis) is infrastructure like the database,
 * but its bytes still come from outside this process: every envelope is schema-checked and a bad one
 * is dropped (and counted), never acted on. Payloads that are already-serialized client messages
 * (`raw`) were validated by the instance that received them from the client; here only their size is
 * bounded.
 */
const Id = z.string().min(1).max(128);
const Raw = z.string().max(LIMITS.maxMessageBytes * 2);

/** One authenticated session, as every instance sees it. */
export const PresenceEntrySchema = z.object({
  nodeId: Id,
  networkId: Id,
  instanceId: Id,
  endpoint: z.string().max(256).nullable(),
  /** When the session authenticated (ms, the owning instance's clock): the newest session wins. */
  since: z.number().int(),
});
export type PresenceEntry = z.infer<typeof PresenceEntrySchema>;

export const BusMessageSchema = z.discriminatedUnion('t', [
  /** A session authenticated; `raw` is the `peer-joined` message for the node's peers. */
  z.object({ t: z.literal('online'), entry: PresenceEntrySchema, raw: Raw }),
  /** A session ended (not replaced); peers get `peer-left` unless a newer session exists. */
  z.object({
    t: z.literal('offline'),
    nodeId: Id,
    networkId: Id,
    instanceId: Id,
    since: z.number().int(),
    lastSeen: z.number().int(),
  }),
  /** A server message for every session of a network except `except` (peer-updated, peer-removed). */
  z.object({ t: z.literal('broadcast'), networkId: Id, except: Id.nullable(), raw: Raw }),
  /** A relayed signal (or another server message) for `to`, sent to the instance that holds its session. */
  z.object({ t: z.literal('signal'), to: Id, networkId: Id, raw: Raw }),
  /** Close the node's session wherever it is (node removed by an admin). */
  z.object({
    t: z.literal('kick'),
    nodeId: Id,
    code: z.number().int().min(1000).max(4999),
    reason: z.enum(['node-removed']),
    message: z.string().max(256),
  }),
  /** A console sign-in session was added or revoked (every instance keeps them in memory). */
  z.object({
    t: z.literal('console'),
    event: z.discriminatedUnion('op', [
      z.object({
        op: z.literal('add'),
        hash: z.string().regex(/^[0-9a-f]{64}$/),
        expiresAt: z.number().int(),
      }),
      z.object({ op: z.literal('revoke'), hash: z.string().regex(/^[0-9a-f]{64}$/) }),
      z.object({ op: z.literal('revoke-all') }),
    ]),
  }),
  /** A console browser's offer for `nodeId`, whose session is on the receiving instance. */
  z.object({
    t: z.literal('browser-offer'),
    linkId: BrowserLinkIdSchema,
    nodeId: Id,
    sdp: z.string().min(1).max(LIMITS.maxSdpBytes),
    proxy: BrowserProxySessionSchema.optional(),
  }),
  /** The agent's answer (or refusal), back to the instance the browser asked. */
  z.object({ t: z.literal('browser-answer'), nodeId: Id, signal: ClientBrowserSignalSchema }),
  /** A console feed event (telemetry included: every instance keeps the latest link reports). */
  z.object({ t: z.literal('feed'), event: z.record(z.string(), z.unknown()) }),
]);
export type BusMessage = z.infer<typeof BusMessageSchema>;

/** What travels: the message plus the sending instance. */
export type BusEnvelope = { from: string; msg: BusMessage };
const BusEnvelopeSchema = z.object({ from: Id, msg: BusMessageSchema });

export function encodeEnvelope(e: BusEnvelope): string {
  return JSON.stringify(e);
}

export function decodeEnvelope(raw: string): BusEnvelope | null {
  try {
    const r = BusEnvelopeSchema.safeParse(JSON.parse(raw));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** True when `a` is a newer session than `b` (later `since`; equal times: the larger instance id). */
export function isNewer(a: PresenceEntry, b: PresenceEntry): boolean {
  return a.since !== b.since ? a.since > b.since : a.instanceId > b.instanceId;
}
