import { z } from 'zod';
import {
  BROWSER_TCP_ONLY,
  checkDstEntry,
  checkGroupMember,
  checkSrcEntry,
  isBrowserEntry,
} from './selectors.js';

/**
 * The network access policy, as an operator writes it (JSON). Modelled on Tailscale's ACL JSON:
 * accept rules only; traffic no rule accepts gets `default`, which is "deny" as soon as the section
 * has a rule and "allow" for an empty section, unless set explicitly. For L3, only rules with a node
 * source count (rules whose sources are all `browser:` entries do not), and browsers never get the
 * default: they reach only what a rule accepts for them (browserAccess).
 *
 * This module only depends on zod (browser-safe: `@rtcmesh/policy/schema`).
 */

/** Limits that keep a policy (and its compiled form) small enough to push to every node. */
export const POLICY_LIMITS = {
  maxRules: 1000,
  maxGroups: 256,
  maxMembersPerGroup: 1000,
  maxEntriesPerList: 256,
  maxEthertypes: 32,
  maxCommentBytes: 512,
  /** Largest policy document in bytes of JSON (the server's REST body limit is 64 KiB by default too). */
  maxJsonBytes: 64 * 1024,
} as const;

export const TAG_RE = /^tag:[a-z0-9][a-z0-9-]{0,62}$/;
export const GROUP_RE = /^group:[a-z0-9][a-z0-9-]{0,62}$/;

export const TagSchema = z.string().regex(TAG_RE, 'a tag is "tag:" + lowercase letters, digits, dashes');
export const TagListSchema = z.array(TagSchema).max(64);

const CIDR = z.union([z.cidrv4(), z.cidrv6()]);
const Comment = z.string().max(POLICY_LIMITS.maxCommentBytes).optional();
const entries = (what: string) =>
  z
    .array(z.string().min(1).max(256))
    .min(1, `${what} needs at least one entry`)
    .max(POLICY_LIMITS.maxEntriesPerList);

export const ProtoSchema = z.union([
  z.enum(['tcp', 'udp', 'icmp', 'any']),
  z.number().int().min(0, 'IP protocol numbers are 0-255').max(255, 'IP protocol numbers are 0-255'),
]);
export type Proto = z.infer<typeof ProtoSchema>;

export const L3RuleSchema = z.strictObject({
  action: z.literal('accept', 'rules only accept (traffic no rule accepts gets "default")'),
  /**
   * Who may send: "*", a node name or id, "tag:x", "group:x", an IP or a CIDR; or a browser
   * ("browser:admin", "browser:*": TCP through an agent, see browserAccess; "*" does not include them).
   */
  src: entries('src'),
  /** Where to, with ports: "tag:db:5432", "*:22,80-90", "node-b:*", "10.1.0.0/16:443". */
  dst: entries('dst'),
  /** Default "any": ports then restrict TCP and UDP, and other protocols need ports "*". */
  proto: ProtoSchema.optional(),
  comment: Comment,
});
export type L3Rule = z.infer<typeof L3RuleSchema>;

export const EthertypeSchema = z.union([
  z.enum(['ipv4', 'arp', 'ipv6', 'vlan', 'lldp']),
  z.number().int().min(0x600, 'EtherTypes are 0x0600-0xffff').max(0xffff, 'EtherTypes are 0x0600-0xffff'),
]);
export type Ethertype = z.infer<typeof EthertypeSchema>;

export const L2RuleSchema = z.strictObject({
  /** Nodes (names/ids, tags, groups, "*") that may exchange frames with `dst`, in both directions. */
  src: entries('src'),
  dst: entries('dst'),
  /** Only these EtherTypes (ARP comes with "ipv4"); absent: every frame. */
  ethertypes: z.array(EthertypeSchema).min(1).max(POLICY_LIMITS.maxEthertypes).optional(),
  comment: Comment,
});
export type L2Rule = z.infer<typeof L2RuleSchema>;

/** Protocols a rule naming browsers may have: browsers open TCP connections (6 = TCP). */
const BROWSER_PROTOS = new Set<Proto>(['tcp', 'any', 6]);

export const PolicySchema = z
  .strictObject({
    /** Set by the server, +1 on every change. A PUT carries the version it edits. */
    version: z.number().int().nonnegative().optional(),
    default: z.enum(['allow', 'deny']).optional(),
    groups: z
      .record(z.string().max(70), z.array(z.string().min(1).max(256)).max(POLICY_LIMITS.maxMembersPerGroup))
      .optional(),
    rules: z.array(L3RuleSchema).max(POLICY_LIMITS.maxRules).optional(),
    l2: z.array(L2RuleSchema).max(POLICY_LIMITS.maxRules).optional(),
    /**
     * Routes approved without an admin (Tailscale's autoApprovers): a prefix advertised inside one of
     * these, by a node that one of its selectors picks, is approved when it is advertised.
     */
    autoApprovers: z
      .strictObject({
        routes: z
          .record(
            z.string().max(50),
            z.array(z.string().min(1).max(256)).min(1).max(POLICY_LIMITS.maxEntriesPerList),
          )
          .optional(),
      })
      .optional(),
    comment: Comment,
  })
  .superRefine((p, ctx) => {
    const groups = p.groups ?? {};
    if (Object.keys(groups).length > POLICY_LIMITS.maxGroups)
      ctx.addIssue({
        code: 'custom',
        path: ['groups'],
        message: `at most ${POLICY_LIMITS.maxGroups} groups`,
      });
    const known = new Set(Object.keys(groups));
    const issue = (path: (string | number)[], message: string | null) => {
      if (message) ctx.addIssue({ code: 'custom', path, message });
    };
    for (const [name, members] of Object.entries(groups)) {
      if (!GROUP_RE.test(name))
        issue(['groups', name], 'a group name is "group:" + lowercase letters, digits, dashes');
      for (const [i, m] of members.entries()) issue(['groups', name, i], checkGroupMember(m));
    }
    for (const [i, r] of (p.rules ?? []).entries()) {
      for (const [j, s] of r.src.entries())
        issue(['rules', i, 'src', j], checkSrcEntry(s, known, true, true));
      if (r.src.some(isBrowserEntry) && !BROWSER_PROTOS.has(r.proto ?? 'any'))
        issue(['rules', i, 'proto'], `${BROWSER_TCP_ONLY} (use proto "tcp" or leave it out)`);
      for (const [j, d] of r.dst.entries())
        issue(['rules', i, 'dst', j], checkDstEntry(d, known, r.proto ?? 'any'));
    }
    for (const [prefix, who] of Object.entries(p.autoApprovers?.routes ?? {})) {
      if (!CIDR.safeParse(prefix).success)
        issue(['autoApprovers', 'routes', prefix], `"${prefix}" is not a CIDR (e.g. "10.0.0.0/8")`);
      for (const [j, s] of who.entries())
        issue(['autoApprovers', 'routes', prefix, j], checkSrcEntry(s, known, false));
    }
    for (const [i, r] of (p.l2 ?? []).entries()) {
      for (const [j, s] of r.src.entries()) issue(['l2', i, 'src', j], checkSrcEntry(s, known, false));
      for (const [j, s] of r.dst.entries()) issue(['l2', i, 'dst', j], checkSrcEntry(s, known, false));
    }
  });
export type Policy = z.infer<typeof PolicySchema>;

/** One validation problem: where (`rules[0].dst[1]`) and what. */
export interface PolicyIssue {
  path: string;
  message: string;
}

export type PolicyValidation = { ok: true; policy: Policy } | { ok: false; issues: PolicyIssue[] };

/** Renders a zod path as `rules[0].dst[1]` (what an operator finds in the JSON). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Validates a parsed JSON value as a policy; every problem is reported, at most 50. */
export function validatePolicy(input: unknown): PolicyValidation {
  const r = PolicySchema.safeParse(input);
  if (r.success) return { ok: true, policy: r.data };
  return {
    ok: false,
    issues: r.error.issues.slice(0, 50).map((i) => ({ path: formatPath(i.path), message: i.message })),
  };
}

/** Parses policy JSON text (as read from a file or a text area), with the same issues for bad JSON. */
export function parsePolicyJson(text: string): PolicyValidation {
  if (text.length > POLICY_LIMITS.maxJsonBytes)
    return {
      ok: false,
      issues: [{ path: '(root)', message: `larger than ${POLICY_LIMITS.maxJsonBytes} bytes` }],
    };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, issues: [{ path: '(root)', message: `not valid JSON: ${(err as Error).message}` }] };
  }
  return validatePolicy(raw);
}

/** The policy of a network nobody configured: everything allowed. */
export const EMPTY_POLICY: Policy = { version: 0 };
