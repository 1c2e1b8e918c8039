import { L2SettingsSchema } from '@rtcmesh/protocol';
import { z } from 'zod';
import { policyStatusSchema } from '../policy/status-schema.js';

/**
 * Types of the agent's local API (a unix socket in the state directory). The CLI validates every
 * answer with these schemas: the socket is a boundary like any other.
 */
export const peerStatusSchema = z.object({
  id: z.string(),
  name: z.string(),
  addresses: z.array(z.string()),
  online: z.boolean(),
  /** `connected` once the packet channel is open. */
  state: z.enum(['new', 'connecting', 'connected', 'reconnecting', 'closed']),
  path: z.enum(['direct', 'relay']).nullable(),
  localCandidateType: z.string().nullable(),
  remoteCandidateType: z.string().nullable(),
  remoteAddress: z.string().nullable(),
  rttMs: z.number().nullable(),
  lossPct: z.number().nullable(),
  /** WebRTC stack of the active connection (optional: older agents do not report it). */
  transport: z.enum(['werift', 'libdatachannel']).nullable().optional(),
  /** Why that stack (configured, chosen by auto, or a fallback and its cause). */
  transportReason: z.string().nullable().optional(),
  /** How frames cross: the packet track (`rtp`, RTP over SRTP) or the packet data channel. */
  packetPath: z.enum(['rtp', 'datachannel']).nullable().optional(),
  /** Tunnelled packets from the peer lost on the path over the last ~10 s (packet track only). */
  pathLossPct: z.number().nullable().optional(),
  txBytes: z.number(),
  rxBytes: z.number(),
  txPackets: z.number(),
  rxPackets: z.number(),
  drops: z.number(),
  since: z.string().nullable(),
  /** Why links to this peer are refused (unsigned DTLS fingerprint, key not signed in a locked network). */
  refused: z.string().nullable().optional(),
});
export type PeerStatus = z.infer<typeof peerStatusSchema>;

export const deviceStatusSchema = z.object({
  name: z.string(),
  mtu: z.number(),
  /** Offloads the kernel applies on reads (optional: older agents do not report them). */
  offloads: z
    .object({ checksum: z.boolean(), tso4: z.boolean(), tso6: z.boolean(), uso: z.boolean() })
    .optional(),
  /** Written TCP segments are merged into GSO writes. */
  coalescing: z.boolean().optional(),
  counters: z.record(z.string(), z.number()).optional(),
});
export type DeviceStatus = z.infer<typeof deviceStatusSchema>;

export const agentStatusSchema = z.object({
  version: z.string(),
  node: z.object({
    id: z.string(),
    name: z.string(),
    addresses: z.array(z.string()),
    mac: z.string().nullable(),
  }),
  network: z.object({
    id: z.string(),
    name: z.string(),
    mode: z.enum(['l2', 'l3']),
    cidr: z.string(),
    /** L3 dual stack: the overlay's IPv6 prefix. */
    cidr6: z.string().optional(),
    /** L2: the storm control and DHCP filter the switch enforces now (the admin's network settings). */
    l2: L2SettingsSchema.optional(),
  }),
  device: deviceStatusSchema.nullable(),
  server: z.object({
    url: z.string(),
    connected: z.boolean(),
    since: z.string().nullable(),
    lastError: z.string().nullable(),
  }),
  /**
   * Where the running configuration came from: `cache` after an offline start until the server is
   * back; when the server last vouched for the cached map; the direct-signaling port (null: off).
   */
  networkMap: z
    .object({
      source: z.enum(['server', 'cache']),
      confirmedAt: z.string().nullable(),
      directPort: z.number().int().nullable(),
    })
    .optional(),
  /**
   * `degraded` when something needs an operator: the device failed (re-opening, or gave up), the
   * server has been unreachable for over a minute, the agent runs from its cached map, peers online
   * with the server have no link. Each problem in words.
   */
  health: z.object({ state: z.enum(['ok', 'degraded']), problems: z.array(z.string()) }).optional(),
  /** The settings in effect (flags at start, then `rtcmesh set`). */
  settings: z.lazy(() => settingsSchema).optional(),
  peers: z.array(peerStatusSchema),
  counters: z.record(z.string(), z.number()),
  /** Access policy in force and what it denied (absent: agent without ACL support). */
  policy: policyStatusSchema.optional(),
  /** L3: peers' subnet routes in the kernel, and those refused with why (routes/route-guard.ts). */
  routes: z
    .object({
      acceptRoutes: z.boolean(),
      installed: z.array(z.string()),
      refused: z.array(
        z.object({
          peerId: z.string(),
          peerName: z.string(),
          prefix: z.string(),
          kind: z.enum(['unsafe', 'not-accepted']),
          reason: z.string(),
        }),
      ),
      /** `--exit-node`: the node chosen, and whether default traffic goes through it now. */
      exitNode: z
        .object({ name: z.string(), active: z.boolean(), bypasses: z.number().int() })
        .nullable()
        .optional(),
      /** `--advertise-exit-node`: this node offers itself (forwarding and NAT on). */
      offersExit: z.boolean().optional(),
      /**
       * Prefixes several nodes advertise (HA subnet routers, a workload's host route): the one that
       * forwards now (a live link first, then a stable order) and the standbys.
       */
      primaries: z
        .array(z.object({ prefix: z.string(), primary: z.string(), standby: z.array(z.string()) }))
        .optional(),
    })
    .optional(),
  /** "Open in browser" sessions open on this node now (issue 20): who, which target, streams and bytes. */
  browserSessions: z
    .array(
      z.object({
        sessionId: z.string(),
        principal: z.string(),
        target: z.string(),
        openedAt: z.number(),
        streams: z.number(),
        activeStreams: z.number(),
        bytesToBrowser: z.number(),
        bytesFromBrowser: z.number(),
        refused: z.number(),
      }),
    )
    .optional(),
  /** Names for the mesh: where the resolver answers, its zone, whether the host asks it, counters. */
  dns: z
    .object({
      listen: z.string(),
      zone: z.string(),
      resolver: z.enum(['systemd-resolved', 'none']),
      reason: z.string().optional(),
      queries: z.number(),
      answered: z.number(),
      nxdomain: z.number(),
      refused: z.number(),
      malformed: z.number(),
      limited: z.number(),
    })
    .optional(),
  /** `--mobility`: per prefix, where each workload host is, since when, its seq and the last moves. */
  mobility: z
    .array(
      z.object({
        prefix: z.string(),
        bridge: z.string(),
        gateway: z.string(),
        mac: z.string(),
        local: z.array(
          z.object({
            ip: z.string(),
            mac: z.string(),
            state: z.string(),
            seq: z.number().int(),
            since: z.number(),
            dampedUntil: z.number().optional(),
          }),
        ),
        remote: z.array(z.object({ ip: z.string(), node: z.string(), seq: z.number().int() })),
        moves: z.array(
          z.object({
            ip: z.string(),
            at: z.number(),
            from: z.string().nullable(),
            to: z.string().nullable(),
            seq: z.number().int(),
          }),
        ),
      }),
    )
    .optional(),
});
export type AgentStatus = z.infer<typeof agentStatusSchema>;

export const pingRequestSchema = z.object({ peer: z.string().min(1).max(256) });
export const pingReplySchema = z.object({
  peer: z.string(),
  rttMs: z.number(),
  path: z.enum(['direct', 'relay']).nullable(),
  remoteAddress: z.string().nullable(),
});
export type PingReply = z.infer<typeof pingReplySchema>;

export const netcheckReportSchema = z.object({
  udp: z.boolean(),
  publicAddress: z.string().nullable(),
  mappingVariesByDestination: z.boolean().nullable(),
  natType: z.enum(['none', 'endpoint-independent', 'endpoint-dependent', 'unknown']),
  stun: z.array(
    z.object({
      server: z.string(),
      ok: z.boolean(),
      mapped: z.string().nullable(),
      error: z.string().nullable(),
    }),
  ),
  turn: z.array(
    z.object({
      url: z.string(),
      transport: z.enum(['udp', 'tcp', 'tls']),
      ok: z.boolean(),
      rttMs: z.number().nullable(),
      error: z.string().nullable(),
    }),
  ),
});
export type NetcheckReport = z.infer<typeof netcheckReportSchema>;

export const rekeyReplySchema = z.object({ publicKey: z.string(), previousPublicKey: z.string() });
export type RekeyReply = z.infer<typeof rekeyReplySchema>;

/**
 * `rtcmesh set`: what changes on the running agent (absent: unchanged). Applied live: links stay up.
 * advertiseRoutes replaces the list (empty: advertise none).
 */
export const setRequestSchema = z
  .strictObject({
    advertiseRoutes: z.array(z.string().min(3).max(64)).max(64).optional(),
    acceptRoutes: z.boolean().optional(),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional(),
    /** `--mobility` values, replacing the current list ([]: none). */
    mobility: z.array(z.string().min(3).max(128)).max(8).optional(),
  })
  .refine((r) => Object.keys(r).length > 0, 'nothing to set');
export type SetRequest = z.infer<typeof setRequestSchema>;

/** The settings in effect (`rtcmesh status --json`, and the answer to `rtcmesh set`). */
export const settingsSchema = z.object({
  advertiseRoutes: z.array(z.string()),
  acceptRoutes: z.boolean(),
  logLevel: z.string(),
  advertiseExitNode: z.boolean(),
  exitNode: z.string().nullable(),
  transport: z.string(),
  offload: z.boolean(),
  directPort: z.number().int().nullable(),
  offlineMaxAge: z.string().nullable(),
  /** `--mobility` in force: bridge=prefix,gateway=ip,mac=mac per prefix. */
  mobility: z.array(z.string()).optional(),
});
export type Settings = z.infer<typeof settingsSchema>;

export const errorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** What the local API server needs from the running agent. */
export interface AgentControl {
  status(): AgentStatus;
  ping(peer: string): Promise<PingReply>;
  netcheck(): Promise<NetcheckReport>;
  /** Rotates the node key (the server must accept it first). */
  rekey(): Promise<RekeyReply>;
  /** Changes settings live (`rtcmesh set`); answers the settings now in effect. */
  set(req: SetRequest): Promise<Settings>;
  down(): Promise<void>;
}

/** Raised by AgentControl methods for errors the caller caused (unknown peer, peer not connected). */
export class LocalApiError extends Error {
  override readonly name = 'LocalApiError';
  constructor(
    readonly code: 'unknown-peer' | 'peer-not-connected' | 'timeout' | 'bad-request' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}
