import { z } from 'zod';
import { LIMITS } from './limits.js';

/**
 * Optional link generation/id: lets a receiver tell messages of an old negotiation from the current one.
 * Opaque to the server.
 */
const GenSchema = z.string().min(1).max(64).optional();

/**
 * The sender's DTLS fingerprints (every `a=fingerprint` of the SDP, canonical form) signed with its node
 * key. The server relays it untouched; receivers verify it against the publicKey they got in PeerInfo
 * and refuse the description otherwise (README: "Link authentication").
 */
const SignalAuthSchema = z
  .object({
    fingerprint: z.string().max(1024),
    signature: z.string().max(256),
  })
  .optional();

export const DescriptionSignalSchema = z.object({
  kind: z.literal('description'),
  gen: GenSchema,
  description: z.object({
    type: z.enum(['offer', 'answer']),
    sdp: z.string().min(1).max(LIMITS.maxSdpBytes),
  }),
  auth: SignalAuthSchema,
});

export const CandidateSignalSchema = z.object({
  kind: z.literal('candidate'),
  gen: GenSchema,
  /** null = end of candidates. */
  candidate: z
    .object({
      candidate: z.string().max(LIMITS.maxCandidateBytes),
      sdpMid: z.string().max(64).nullable().optional(),
      sdpMLineIndex: z.number().int().min(0).max(1024).nullable().optional(),
    })
    .nullable(),
});

export const ByeSignalSchema = z.object({
  kind: z.literal('bye'),
  gen: GenSchema,
  reason: z.string().max(LIMITS.maxTextBytes).optional(),
});

/** Payload of a relayed `signal`: validated by the server, then passed to the peer unchanged. */
export const SignalDataSchema = z.discriminatedUnion('kind', [
  DescriptionSignalSchema,
  CandidateSignalSchema,
  ByeSignalSchema,
]);
export type SignalData = z.infer<typeof SignalDataSchema>;
export type DescriptionSignal = z.infer<typeof DescriptionSignalSchema>;
export type CandidateSignal = z.infer<typeof CandidateSignalSchema>;
export type ByeSignal = z.infer<typeof ByeSignalSchema>;
