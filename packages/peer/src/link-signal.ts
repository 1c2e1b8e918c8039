import { type SignalData, SignalDataSchema } from '@rtcmesh/protocol/browser';

/**
 * What one PeerLink sends to the other through the signaling server's relay message: the protocol's
 * `SignalData` (one definition for server, agent and console). `gen` names the RTCPeerConnection
 * generation a description/candidate belongs to (see peer-link.ts); it is opaque to the server.
 */
export type LinkSignal = SignalData;
export const linkSignalSchema = SignalDataSchema;

/** Validates untrusted input; returns an error message instead of throwing. */
export function parseLinkSignal(
  input: unknown,
): { ok: true; signal: LinkSignal } | { ok: false; error: string } {
  const result = linkSignalSchema.safeParse(input);
  if (result.success) return { ok: true, signal: result.data };
  return { ok: false, error: result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
}
