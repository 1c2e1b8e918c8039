import { z } from 'zod';
import type { PolicyStatus } from './enforcer.js';

/** `rtcmesh status` -> `policy` (see PolicyStatus). Validated by the CLI like the rest of the answer. */
export const policyStatusSchema = z.object({
  version: z.number(),
  l3Default: z.enum(['allow', 'deny']),
  l2Default: z.enum(['allow', 'deny']),
  denied: z.number(),
  deniedByPeer: z.record(z.string(), z.number()),
  verdicts: z.record(z.string(), z.number()),
  flows: z.object({ live: z.number(), capacity: z.number(), evicted: z.number() }),
  lastError: z.string().nullable(),
}) satisfies z.ZodType<PolicyStatus>;

/** The status lines about the access policy (peer ids shown by name when known). */
export function formatPolicyStatus(
  p: PolicyStatus | undefined,
  mode: 'l2' | 'l3',
  peers: readonly { id: string; name: string }[],
): string[] {
  if (!p) return [];
  const def = mode === 'l2' ? p.l2Default : p.l3Default;
  const lines = [`acl      policy v${p.version}, default ${def}, denied ${p.denied}`];
  const by = Object.entries(p.deniedByPeer)
    .filter(([, n]) => n > 0)
    .map(([id, n]) => `${peers.find((x) => x.id === id)?.name ?? id} ${n}`);
  if (by.length > 0) lines.push(`acl      denied from: ${by.join(', ')}`);
  if (p.lastError) lines.push(`acl      ${p.lastError}`);
  return lines;
}
