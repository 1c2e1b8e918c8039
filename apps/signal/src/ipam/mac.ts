import { createHash } from 'node:crypto';

/**
 * A stable, locally administered, unicast MAC for a node: 02 followed by 5 bytes of
 * SHA-256(networkId/nodeId/attempt). Stored at join, so it never changes for the node; `taken` avoids
 * collisions inside the network.
 */
export function deriveMac(networkId: string, nodeId: string, taken: ReadonlySet<string>): string {
  for (let attempt = 0; ; attempt++) {
    const h = createHash('sha256').update(`${networkId}/${nodeId}/${attempt}`).digest();
    const mac = ['02', ...Array.from(h.subarray(0, 5), (b) => b.toString(16).padStart(2, '0'))].join(':');
    if (!taken.has(mac)) return mac;
  }
}
