/**
 * What the evaluator decided about one packet/frame. A number (no allocation per packet):
 * >= 0 is the index of the rule that accepted it (in `rules` for L3, in `l2` for L2); negative values
 * are the named outcomes below.
 */
export type Verdict = number;

export const Verdict = {
  /** No rule matched and the default is "allow" (or there is no policy). */
  AcceptDefault: -1,
  /** L3: the answer to a flow the local side started (FlowTable). */
  AcceptReturn: -2,
  /** No rule matched and the default is "deny". */
  DenyDefault: -3,
  /** L2: the node pair is allowed, but not this EtherType. */
  DenyEthertype: -4,
  /** Not a valid IP packet / Ethernet frame: denied whatever the policy says. */
  DenyMalformed: -5,
} as const;

export function isAccept(v: Verdict): boolean {
  return v >= 0 || v === Verdict.AcceptDefault || v === Verdict.AcceptReturn;
}

/** Counter key for a verdict: "rule.3", "default", "return", "ethertype", "malformed". */
export function verdictName(v: Verdict): string {
  if (v >= 0) return `rule.${v}`;
  switch (v) {
    case Verdict.AcceptDefault:
    case Verdict.DenyDefault:
      return 'default';
    case Verdict.AcceptReturn:
      return 'return';
    case Verdict.DenyEthertype:
      return 'ethertype';
    default:
      return 'malformed';
  }
}
