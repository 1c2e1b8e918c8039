import { z } from 'zod';
import { NodeIdSchema, ScalarRecordSchema, TextSchema } from './common.js';
import { LIMITS } from './limits.js';

const Counter = z.number().int().nonnegative();

export const LinkStateSchema = z.enum(['new', 'connecting', 'connected', 'disconnected', 'failed', 'closed']);
export type LinkState = z.infer<typeof LinkStateSchema>;

export const CandidateTypeSchema = z.enum(['host', 'srflx', 'prflx', 'relay']);

/** One peer link as its owner sees it. Byte/packet counters are totals since `since`. */
export const LinkReportSchema = z.object({
  peerId: NodeIdSchema,
  state: LinkStateSchema,
  path: z.enum(['direct', 'relay']).nullable(),
  localCandidateType: CandidateTypeSchema.optional(),
  remoteCandidateType: CandidateTypeSchema.optional(),
  /** "ip:port" of the remote candidate in use. */
  remoteAddress: z.string().max(128).optional(),
  rttMs: z.number().nonnegative().optional(),
  lossPct: z.number().min(0).max(100).optional(),
  /** WebRTC stack of the link's active connection. */
  transport: z.enum(['werift', 'libdatachannel']).optional(),
  /** How frames cross: the packet track (RTP over SRTP) or the packet data channel. */
  packetPath: z.enum(['rtp', 'datachannel']).optional(),
  /** Tunnelled packets from the peer lost on the path over the last ~10 s (packet track only). */
  pathLossPct: z.number().min(0).max(100).optional(),
  txBytes: Counter,
  rxBytes: Counter,
  txPackets: Counter,
  rxPackets: Counter,
  drops: Counter,
  /** Frames/packets from this peer the access policy denied (absent: agent without ACLs). */
  aclDenied: Counter.optional(),
  /** Epoch ms since which the link is in `state` (and counters accumulate). */
  since: z.number().int().nonnegative(),
});
export type LinkReport = z.infer<typeof LinkReportSchema>;

export const TelemetrySchema = z.object({
  links: z.array(LinkReportSchema).max(LIMITS.maxTelemetryLinks),
  /**
   * True: `links` are only the links that changed since the last report (the others are as they
   * were), and `gone` the peers whose link no longer exists. Absent: `links` replaces every link of the
   * node (a full report; one larger than maxTelemetryLinks continues in partial reports). Agents send
   * a full report per session and then what changes, so an idle link costs nothing per interval.
   */
  partial: z.boolean().optional(),
  gone: z.array(NodeIdSchema).max(LIMITS.maxTelemetryLinks).optional(),
  counters: ScalarRecordSchema.optional(),
});
export type Telemetry = z.infer<typeof TelemetrySchema>;

/** Something an agent wants the console to list (MAC moves, storm-control drops, path changes...). */
export const AgentEventSchema = z.object({
  kind: z.enum([
    'mac-move',
    'storm-drop',
    'path-change',
    'link-up',
    'link-down',
    'link-refused',
    'acl-deny',
    'key-rotated',
    'route-refused',
    /** A workload's host route moved to or from this site (`--mobility`). */
    'host-move',
    /** A workload moves back and forth between sites: a duplicate address or a loop; damped. */
    'host-flap',
    /** A browser proxy session (issue 20) opened or closed on this node: who, target, bytes, duration. */
    'browser-session',
    /** A browser's stream refused by the policy or a limit. */
    'browser-refused',
    'other',
  ]),
  message: TextSchema,
  peerId: NodeIdSchema.optional(),
  details: ScalarRecordSchema.optional(),
});
export type AgentEvent = z.infer<typeof AgentEventSchema>;
