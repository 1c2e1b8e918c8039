import type { Logger } from 'pino';
import type { Cluster } from '../cluster/cluster.js';
import type { Store } from '../store/index.js';
import type { ControlPlane } from './control-plane.js';

/**
 * What the operations kept beside ControlPlane (route approval, the access policy, renaming, node keys,
 * and its own parts: networks, join keys, …) work with: its lookups and announcements, and the store,
 * log and cluster, each named. They receive it as a parameter (the server and the API build it once)
 * instead of reaching into the control plane.
 */
export interface ControlPlaneContext {
  controlPlane: Pick<
    ControlPlane,
    'requireNetwork' | 'requireNode' | 'announceUpdate' | 'nodeSummary' | 'networkSummary'
  >;
  store: Store;
  log: Logger;
  /** Messages to a network's members, and events to the consoles of every instance. */
  cluster: Pick<Cluster, 'broadcast' | 'publishFeed'>;
  /** Addresses of this server and its STUN/TURN servers: no route may cover them. */
  protectedAddresses: readonly string[];
}
