import { isIP } from 'node:net';
import { z } from 'zod';

/** What the agent learned about reaching a peer directly; kept in the network map cache. */
export interface DirectHint {
  /** The peer's direct-signaling port (it said so over a link, or the default). */
  port: number;
  /** Addresses the peer was seen at: its public address, a link's remote address, its LAN addresses. */
  hosts: string[];
}

export const DirectHintSchema = z.object({
  port: z.number().int().min(1).max(65535),
  hosts: z
    .array(
      z
        .string()
        .max(64)
        .refine((h) => isIP(h) !== 0, 'not an IP address'),
    )
    .max(16),
});

/**
 * The link message that tells a peer where our direct-signaling port is: its number and our LAN
 * addresses (a peer on the same LAN reaches us there; its NAT would not hairpin our public address).
 * Sent when a link comes up; it crossed the network, so it is validated like any input.
 */
const DirectHintMessageSchema = DirectHintSchema.extend({ kind: z.literal('direct-hint') });

export function parseDirectHintMessage(body: unknown): DirectHint | undefined {
  const r = DirectHintMessageSchema.safeParse(body);
  return r.success ? { port: r.data.port, hosts: r.data.hosts } : undefined;
}
