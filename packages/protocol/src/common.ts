import { z } from 'zod';
import { LIMITS } from './limits.js';

/** Node ids are issued by the server: lowercase letters, digits and dashes. */
export const NodeIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{2,63}$/, 'invalid node id');
export type NodeId = z.infer<typeof NodeIdSchema>;

export const NetworkIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{2,63}$/, 'invalid network id');

/** Human names (nodes, networks). */
export const NameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'names use letters, digits, dot, dash, underscore');

/**
 * C0/C1 control characters and the bidirectional overrides: in a name, a description or an event they
 * would rewrite an admin's terminal or disguise text in the console (issue 16).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Free text shown to people: bounded, and without control characters. */
export function plainText(maxLength: number) {
  return z
    .string()
    .max(maxLength)
    .refine((s) => !CONTROL_CHARACTERS.test(s), 'control characters are not allowed');
}

export const TextSchema = plainText(LIMITS.maxTextBytes);

/** An address with prefix length, IPv4 or IPv6, e.g. "10.99.0.5/24". */
export const CidrSchema = z.union([z.cidrv4(), z.cidrv6()]);
export const IpSchema = z.union([z.ipv4(), z.ipv6()]);
/** Colon-separated MAC address, e.g. "02:5e:10:00:00:01" (any case; the server stores lowercase). */
export const MacSchema = z.string().regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, 'invalid MAC address');

/** A base64 (standard alphabet) string. */
export const Base64Schema = z.base64();

export const NetworkModeSchema = z.enum(['l2', 'l3']);
export type NetworkMode = z.infer<typeof NetworkModeSchema>;

/**
 * L2 networks: what every member's switch enforces, set by an admin (`rtcmesh-signal network set`) and
 * applied live by agents. Absent from a network: DEFAULT_L2_SETTINGS.
 */
export const L2SettingsSchema = z.object({
  /** Broadcast, multicast and unknown-unicast frames one port may flood per second; 0: no storm control. */
  stormPps: z.number().int().min(0).max(1_000_000),
  /** How many such frames may come at once above the rate. */
  stormBurst: z.number().int().min(1).max(1_000_000),
  /** Keep DHCP and DHCPv6 from crossing between sites (each site answers its own hosts). */
  blockDhcp: z.boolean(),
});
export type L2Settings = z.infer<typeof L2SettingsSchema>;
export const DEFAULT_L2_SETTINGS: L2Settings = { stormPps: 1000, stormBurst: 2000, blockDhcp: false };

export const NetworkInfoSchema = z.object({
  id: NetworkIdSchema,
  name: NameSchema,
  mode: NetworkModeSchema,
  /** The overlay's IPv4 CIDR, e.g. "10.99.0.0/24". */
  cidr: CidrSchema,
  /**
   * L3 dual stack: the overlay's IPv6 prefix (a unique local /64 unless the admin chose one); each
   * node's address there carries the host number of its IPv4 address. Absent: IPv4 only.
   */
  cidr6: z.cidrv6().optional(),
  /** Device MTU (default 1280). */
  mtu: z.number().int().min(576).max(9000),
  /**
   * Locked network: every node key must carry a signature by one of these operator keys (Ed25519,
   * base64 raw), made outside the server (see SECURITY.md). Agents pin the set the first time they see it.
   */
  lockKeys: z.array(Base64Schema.max(64)).max(8).optional(),
  /**
   * The lock was lifted (`rtcmesh-signal lock disable`): an operator's signature, by one of the keys
   * agents pinned, over the network and those keys. Agents that verify it unpin them; without it an
   * unlocked network stays locked for every agent that pinned its keys.
   */
  lockDisabled: z.object({ key: Base64Schema.max(64), signature: Base64Schema.max(128) }).optional(),
  /** L2 networks: storm control and DHCP filtering (absent: the defaults). */
  l2: L2SettingsSchema.optional(),
});
export type NetworkInfo = z.infer<typeof NetworkInfoSchema>;

export const IceServerSchema = z.object({
  urls: z.array(z.string().min(1).max(1024)).min(1).max(16),
  username: z.string().max(1024).optional(),
  credential: z.string().max(1024).optional(),
});
export type IceServer = z.infer<typeof IceServerSchema>;

/** A MAC address and the IPs seen behind it at one node (L2 ARP suppression). `seq` only grows. */
export const BindingSchema = z.object({
  mac: MacSchema,
  ips: z.array(IpSchema).max(LIMITS.maxIpsPerBinding),
  seq: z.number().int().nonnegative(),
});
export type Binding = z.infer<typeof BindingSchema>;

/**
 * A prefix routed to the advertising node (L3). Subnet routes may lie outside the network CIDR;
 * host routes are /32 or /128. The prefix must be canonical (no host bits set). `seq` only grows.
 */
export const RouteSchema = z.object({
  prefix: CidrSchema,
  seq: z.number().int().nonnegative(),
});
export type Route = z.infer<typeof RouteSchema>;

/** An operator-assigned node tag for the access policy: "tag:" + lowercase letters, digits, dashes. */
export const NodeTagSchema = z.string().regex(/^tag:[a-z0-9][a-z0-9-]{0,62}$/, 'invalid tag');

/** Everything a node knows about one other node of its network. */
export const PeerInfoSchema = z.object({
  nodeId: NodeIdSchema,
  name: NameSchema,
  /** Ed25519 public key, base64 of the 32 raw bytes. */
  publicKey: Base64Schema,
  /** Overlay addresses as CIDR strings with the network's prefix length, e.g. "10.99.0.7/24". */
  addresses: z.array(CidrSchema),
  /** The node's L2 MAC (stable, locally administered). */
  mac: MacSchema,
  online: z.boolean(),
  /** Epoch milliseconds of the last time the node was connected (now, when online); null if never. */
  lastSeen: z.number().int().nullable(),
  /** Public endpoint the server sees (ip:port of the WebSocket), when online. */
  endpoint: z.string().max(128).optional(),
  agentVersion: plainText(64).optional(),
  bindings: z.array(BindingSchema),
  routes: z.array(RouteSchema),
  /** Access-policy tags an admin gave the node (absent: none). */
  tags: z.array(NodeTagSchema).max(64).optional(),
  /** Locked networks: operator signature over nodeKeyPayload(networkId, nodeId, publicKey). */
  keySignature: Base64Schema.max(128).optional(),
});
export type PeerInfo = z.infer<typeof PeerInfoSchema>;

export const SelfInfoSchema = z.object({
  nodeId: NodeIdSchema,
  name: NameSchema,
  addresses: z.array(CidrSchema),
  mac: MacSchema,
  /** Access-policy tags of this node (absent: none). */
  tags: z.array(NodeTagSchema).max(64).optional(),
});
export type SelfInfo = z.infer<typeof SelfInfoSchema>;

/** Small flat record of scalars (counters, event details): bounded in key count and value size. */
export const ScalarRecordSchema = z
  .record(z.string().max(64), z.union([TextSchema, z.number(), z.boolean(), z.null()]))
  .refine((r) => Object.keys(r).length <= LIMITS.maxRecordKeys, `at most ${LIMITS.maxRecordKeys} keys`);
export type ScalarRecord = z.infer<typeof ScalarRecordSchema>;
