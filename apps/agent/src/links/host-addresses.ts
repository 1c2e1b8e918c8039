import { networkInterfaces } from 'node:os';

/**
 * Host addresses worth offering as ICE candidates. werift skips interfaces whose names look virtual
 * (veth*, tap*, tun*...), which also hides real uplinks in containers and network namespaces; we list
 * every non-loopback IPv4 address ourselves instead, minus our own overlay device (a path to a peer
 * through the overlay itself would be a loop). Link-local addresses are useless across sites.
 */
export function hostCandidateAddresses(excludeInterfaces: readonly string[]): string[] {
  const out: string[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    if (excludeInterfaces.includes(name)) continue;
    for (const a of list ?? []) {
      if (a.internal || a.family !== 'IPv4' || a.address.startsWith('169.254.')) continue;
      out.push(a.address);
    }
  }
  return out;
}
