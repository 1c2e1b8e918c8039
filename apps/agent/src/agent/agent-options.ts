import type { KeyObject } from 'node:crypto';
import type { TransportPreference } from '@rtcmesh/peer';
import type { Logger } from 'pino';
import type { ControlClient } from '../control/control-client.js';
import type { NetworkLockStore } from '../links/network-lock.js';
import type { MobilitySpec } from '../mobility/mobility-spec.js';
import type { SignedPolicyStore } from '../policy/signed-policy.js';
import type { NetworkMapStore } from '../state/network-map.js';
import type { SavedSettings } from '../state/state-dir.js';
import type { LogLevel } from './agent-logger.js';
import type { DeviceOpener } from './data-plane.js';
import type { DeviceSupervisorOptions } from './device-supervisor.js';
import type { PendingKeyStore } from './key-rotation.js';

/** How an Agent runs: the command line and the state directory, as run.ts reads them. */
export interface AgentOptions {
  /** Signaling server URLs, in order of preference (instances of one mesh). */
  serverUrls: readonly string[];
  nodeId: string;
  privateKey: KeyObject;
  socketPath: string;
  device: string;
  bridge?: string;
  advertiseRoutes: string[];
  /** L3: install the subnet routes peers advertise (`--accept-routes`; default off). */
  acceptRoutes?: boolean;
  /** L3: offer this node as an exit node (advertise 0.0.0.0/0; forward and NAT what comes in). */
  advertiseExitNode?: boolean;
  /** L3: send default traffic through this exit node (name or id). */
  exitNode?: string;
  /** L3: `--mobility`: be the anycast gateway of these prefixes on these bridges; hosts follow. */
  mobility?: readonly MobilitySpec[];
  /** `--mobility-max-hosts`: most workload hosts this site claims at once. */
  mobilityMaxHosts?: number;
  assignAddress: boolean;
  mtu?: number;
  logger: Logger;
  /** Telemetry period; the console shows links this fresh. */
  telemetryIntervalMs?: number;
  linkTuning?: { connectTimeoutMs?: number; upgradeIntervalMs?: number; keepaliveIntervalMs?: number };
  /** WebRTC stack of the peer links (default auto). */
  transport?: TransportPreference;
  /**
   * Device offloads (default true): reads of up to 64 KiB per flow split in the addon, and merged
   * (GSO) writes. False reads and writes one packet per system call (`--no-offload`).
   */
  offload?: boolean;
  /** The only CA(s) trusted for a wss:// server (`--ca-file`). */
  ca?: Buffer;
  /** Pending key and lock pins (the state directory). */
  keyStore: PendingKeyStore & NetworkLockStore & SignedPolicyStore;
  /** A rotated key the server may have taken before the agent stopped. */
  pendingKey?: KeyObject;
  /** `--lock-key`: operator keys this node trusts for a locked network, whatever the server says. */
  lockKeys?: string[];
  /** The network this node joined (identity.json), to check a cached map against. */
  networkId?: string;
  /**
   * The cached network map (state/network-map.ts): kept current while the server talks, and started
   * from when it cannot be reached within `offlineAfterMs`. Absent: no cache (tests).
   */
  networkMap?: { store: NetworkMapStore; maxAgeMs: number; offlineAfterMs?: number };
  /**
   * UDP port of direct signaling (links/direct-signal.ts), used while the server is away; null turns
   * it off. Default DEFAULT_DIRECT_PORT.
   */
  directPort?: number | null;
  /** Tests: the control session (default: a ControlClient for serverUrls). */
  control?: ControlClient;
  /** Where `rtcmesh set` keeps its changes for the next start (the state directory). */
  settingsStore?: { writeSettings(s: SavedSettings): Promise<void> };
  /** `rtcmesh set --log-level`: changes every component's logger (agent-logger.ts). */
  setLogLevel?: (level: LogLevel) => void;
  /**
   * Names for the mesh: answer `<node>.<network>.<suffix>` on the overlay address (dns/); null: off
   * (`--no-dns`). Default DEFAULT_DNS_SUFFIX.
   */
  dnsSuffix?: string | null;
  /** A link to a peer came up or went down (the metrics count them). */
  onLinkChange?: (peer: { id: string; name: string }, up: boolean) => void;
  /** Tests: how the TAP/TUN is opened (default @rtcmesh/netdev). */
  devices?: DeviceOpener;
  /** Tests: how the device's presence is checked and how fast it is re-opened. */
  deviceCheck?: Pick<DeviceSupervisorOptions, 'ifindex' | 'retryDelaysMs' | 'checkIntervalMs'>;
}
