import type { JoinKeyInfo, NetworkInfo } from '@rtcmesh/protocol';
import { nodeIps } from '../ipam/ipv6.js';
import type { JoinKeyRow } from '../store/join-keys.js';
import type { NetworkRow } from '../store/networks.js';
import type { NodeRow } from '../store/nodes.js';

// How stored rows are shown to agents and admins: the parts of a view that need no presence.

/** A network as agents see it (welcome, config). */
export function networkInfo(n: NetworkRow): NetworkInfo {
  return {
    id: n.id,
    name: n.name,
    mode: n.mode,
    cidr: n.cidr,
    ...(n.cidr6 ? { cidr6: n.cidr6 } : {}),
    mtu: n.mtu,
    ...(n.lockKeys ? { lockKeys: n.lockKeys } : {}),
    ...(n.lockDisabled ? { lockDisabled: n.lockDisabled } : {}),
    ...(n.l2 ? { l2: n.l2 } : {}),
  };
}

/**
 * Overlay addresses with the network's prefix lengths ("10.99.0.5/24", and "fd7a::5/64" in a
 * dual-stack network); in L3 the host routes are ip/32 and ip/128.
 */
export function addressesOf(n: NodeRow, network: NetworkRow): string[] {
  const len4 = network.cidr.split('/')[1];
  const len6 = network.cidr6?.split('/')[1];
  return nodeIps(n.addresses, network).map((a) => `${a}/${a.includes(':') ? len6 : len4}`);
}

/** A join key as admins see it (never its secret). */
export function keyInfo(k: JoinKeyRow): JoinKeyInfo {
  const now = Date.now();
  const valid =
    k.revokedAt === null && (k.expiresAt === null || k.expiresAt > now) && (k.reusable || k.uses === 0);
  return {
    id: k.id,
    networkId: k.networkId,
    reusable: k.reusable,
    description: k.description,
    createdAt: k.createdAt,
    expiresAt: k.expiresAt,
    revokedAt: k.revokedAt,
    uses: k.uses,
    valid,
  };
}
