import { networkInterfaces } from 'node:os';
import { urlHost } from '@rtcmesh/protocol';
import ipaddr from 'ipaddr.js';

/**
 * The addresses members must never route into the mesh (issue 16): this host's own interface
 * addresses (how agents reach the server when no public URL is set), the listen address, and the
 * literal addresses in the public URL and the STUN/TURN URLs. Names are not resolved here: the agent
 * also refuses routes that cover the addresses it actually connects to.
 */
export function protectedServerAddresses(o: {
  host?: string;
  publicUrl?: string;
  stun?: readonly string[];
  turn?: readonly string[];
}): string[] {
  const out = new Set<string>();
  const add = (candidate: string | undefined): void => {
    if (candidate && ipaddr.isValid(candidate)) {
      const a = ipaddr.process(candidate);
      // 0.0.0.0 / :: mean "every interface": those are listed below.
      if (a.range() !== 'unspecified') out.add(a.toString());
    }
  };
  add(o.host);
  if (o.publicUrl) add(urlHost(o.publicUrl));
  for (const u of [...(o.stun ?? []), ...(o.turn ?? [])]) add(urlHost(u));
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) if (!i.internal) add(i.address.replace(/%.*$/, ''));
  }
  return [...out];
}
