import type { KeyObject } from 'node:crypto';
import { canonicalJson, SignalDataSchema, signDomain, verifyDomain } from '@rtcmesh/protocol';
import { z } from 'zod';

/**
 * The datagrams of direct signaling (direct-signal.ts): a JSON envelope signed with the sender's node
 * key under DIRECT_SIGNAL_DOMAIN, at most MAX_DATAGRAM_BYTES. It crossed the network: every datagram
 * is parsed by the schema, and its signature checked against the key the network map holds for its
 * sender, before anything in it is used.
 */
export const DIRECT_SIGNAL_DOMAIN = 'direct-signal';
export const MAX_DATAGRAM_BYTES = 16 * 1024;

const IdSchema = z.string().min(1).max(128);

const BodySchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('hello') }),
  z.object({ t: z.literal('ack'), seq: z.number().int().nonnegative() }),
  /**
   * `n`: this signal's number among the sender's signals to this receiver (per sender boot), for
   * ordering; `first`: the lowest number the sender still retransmits (a receiver that never heard
   * from this boot starts there); `at`: when the signal was made (epoch ms, the sender's clock).
   */
  z.object({
    t: z.literal('signal'),
    n: z.number().int().nonnegative(),
    first: z.number().int().nonnegative(),
    at: z.number().int(),
    data: SignalDataSchema,
  }),
]);
export type Body = z.infer<typeof BodySchema>;

const EnvelopeSchema = z.object({
  v: z.literal(1),
  net: IdSchema,
  from: IdSchema,
  to: IdSchema,
  /** Random per agent process: tells a restarted peer from a replay of the old one. */
  boot: z.string().min(1).max(32),
  ts: z.number().int(),
  seq: z.number().int().nonnegative(),
  body: BodySchema,
  sig: z.string().min(1).max(256),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

/** An envelope before it is signed (the version is added here). */
export type UnsignedEnvelope = Omit<Envelope, 'v' | 'sig'>;

/** The signed datagram of an envelope. */
export function encodeDatagram(key: KeyObject, envelope: UnsignedEnvelope): Buffer {
  const unsigned = {
    v: 1 as const,
    net: envelope.net,
    from: envelope.from,
    to: envelope.to,
    boot: envelope.boot,
    ts: envelope.ts,
    seq: envelope.seq,
    body: envelope.body,
  };
  const sig = signDomain(key, DIRECT_SIGNAL_DOMAIN, canonicalJson(unsigned));
  return Buffer.from(JSON.stringify({ ...unsigned, sig }), 'utf8');
}

/** The envelope of a datagram, or why it is none (its signature is not checked yet: verifyEnvelope). */
export function decodeDatagram(msg: Buffer): Envelope | 'oversize' | 'malformed' {
  if (msg.length > MAX_DATAGRAM_BYTES) return 'oversize';
  let raw: unknown;
  try {
    raw = JSON.parse(msg.toString('utf8'));
  } catch {
    return 'malformed';
  }
  const r = EnvelopeSchema.safeParse(raw);
  return r.success ? r.data : 'malformed';
}

/** Whether the envelope was signed by the holder of `publicKey`. */
export function verifyEnvelope(env: Envelope, publicKey: string): boolean {
  const { sig, ...unsigned } = env;
  return verifyDomain(publicKey, DIRECT_SIGNAL_DOMAIN, canonicalJson(unsigned), sig);
}
