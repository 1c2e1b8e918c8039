/**
 * Node and network names as DNS labels (`<node>.<network>.<suffix>`, the agent's resolver): lowercase
 * letters, digits and dashes, 1–63 characters, no dash at either end (RFC 1123). Names allow dots
 * and underscores too; they become dashes. The server keeps these labels unique per network at join
 * (a node named `Web` joining beside `web` becomes `Web-2`), so every member derives the same
 * answer for a name.
 */
export function dnsLabel(name: string): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label || 'node';
}

/** The default DNS suffix of the agent's names: `.internal` is reserved for private use (ICANN, 2024). */
export const DEFAULT_DNS_SUFFIX = 'rtcmesh.internal';

/** A DNS suffix: one or more labels as dnsLabel() makes them, at most 200 characters. */
export function dnsSuffixProblem(suffix: string): string | undefined {
  if (suffix.length === 0 || suffix.length > 200) return 'a DNS suffix is 1 to 200 characters';
  for (const label of suffix.split('.'))
    if (label !== dnsLabel(label)) return `${suffix}: "${label}" is not a DNS label (a-z, 0-9, - inside)`;
  return undefined;
}
