import { z } from 'zod';
import { type DirectHint, DirectHintSchema } from './direct-signal.js';

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
