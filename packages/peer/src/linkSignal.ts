import { z } from 'zod';

/**
 * What one PeerLink sends to the other through the signaling server's relay message.
 * The server's protocol package is the authority on this shape; this copy is structurally identical
 * so the peer package does not depend on the server's wire format.
 *
 * `gen` names the RTCPeerConnection generation a description/candidate belongs to (see peerLink.ts);
 * it is opaque to the server.
 */
export type LinkSignal =
  | { kind: 'description'; description: { type: 'offer' | 'answer'; sdp: string }; gen?: string }
  | {
      kind: 'candidate';
      candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null } | null;
      gen?: string;
    }
  | { kind: 'bye'; reason?: string };

/** Limits keep a hostile peer from making us parse megabytes of SDP. */
export const MAX_SDP_LENGTH = 64 * 1024;
export const MAX_CANDIDATE_LENGTH = 1024;
export const MAX_GEN_LENGTH = 64;

const genSchema = z.string().min(1).max(MAX_GEN_LENGTH);

export const linkSignalSchema: z.ZodType<LinkSignal> = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('description'),
    description: z.object({ type: z.enum(['offer', 'answer']), sdp: z.string().min(1).max(MAX_SDP_LENGTH) }),
    gen: genSchema.optional(),
  }),
  z.object({
    kind: z.literal('candidate'),
    candidate: z
      .object({
        candidate: z.string().max(MAX_CANDIDATE_LENGTH),
        sdpMid: z.string().max(64).nullable().optional(),
        sdpMLineIndex: z.number().int().min(0).max(255).nullable().optional(),
      })
      .nullable(),
    gen: genSchema.optional(),
  }),
  z.object({ kind: z.literal('bye'), reason: z.string().max(256).optional() }),
]);

/** Validates untrusted input; returns an error message instead of throwing. */
export function parseLinkSignal(
  input: unknown,
): { ok: true; signal: LinkSignal } | { ok: false; error: string } {
  const result = linkSignalSchema.safeParse(input);
  if (result.success) return { ok: true, signal: result.data };
  return { ok: false, error: result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}
