import type { NetDevice } from '@rtcmesh/netdev';
import type { LinkStats } from '@rtcmesh/peer';
import type { LinkReport, PeerInfo } from '@rtcmesh/protocol';
import type { PeerView } from '../links/peer-links.js';
import type { AgentStatus, DeviceStatus, PeerStatus } from '../localapi/schema.js';
import type { DeviceHealth } from './device-supervisor.js';

const CANDIDATE_TYPES = ['host', 'srflx', 'prflx', 'relay'] as const;
type CandidateType = (typeof CANDIDATE_TYPES)[number];
function candidateType(t: string | null): CandidateType | undefined {
  return CANDIDATE_TYPES.find((c) => c === t);
}

export function peerStatus(info: PeerInfo, s: LinkStats | undefined, refused?: string | null): PeerStatus {
  return {
    id: info.nodeId,
    name: info.name,
    addresses: info.addresses,
    online: info.online,
    state: s ? s.state : 'new',
    path: s?.path ?? null,
    localCandidateType: s?.localCandidateType ?? null,
    remoteCandidateType: s?.remoteCandidateType ?? null,
    remoteAddress: s?.remoteAddress ?? null,
    rttMs: s?.rttMs ?? null,
    lossPct: s ? s.lossPct : null,
    transport: s?.state === 'connected' || s?.state === 'reconnecting' ? s.transport : null,
    transportReason: s ? s.transportReason : null,
    packetPath: s?.packetPath ?? null,
    pathLossPct: s?.pathLossPct ?? null,
    txBytes: s?.txBytes ?? 0,
    rxBytes: s?.rxBytes ?? 0,
    txPackets: s?.txPackets ?? 0,
    rxPackets: s?.rxPackets ?? 0,
    drops: s?.drops ?? 0,
    since: s ? new Date(s.since).toISOString() : null,
    refused: refused ?? null,
  };
}

export function linkReport(peerId: string, s: LinkStats): LinkReport {
  const state: LinkReport['state'] = s.state === 'reconnecting' ? 'disconnected' : s.state;
  const local = candidateType(s.localCandidateType);
  const remote = candidateType(s.remoteCandidateType);
  return {
    peerId,
    state,
    path: s.path,
    ...(local ? { localCandidateType: local } : {}),
    ...(remote ? { remoteCandidateType: remote } : {}),
    ...(s.remoteAddress ? { remoteAddress: s.remoteAddress.slice(0, 128) } : {}),
    ...(s.rttMs !== null ? { rttMs: s.rttMs } : {}),
    lossPct: Math.min(100, Math.max(0, s.lossPct)),
    transport: s.transport,
    ...(s.packetPath ? { packetPath: s.packetPath } : {}),
    ...(s.pathLossPct !== null ? { pathLossPct: Math.min(100, Math.max(0, s.pathLossPct)) } : {}),
    txBytes: s.txBytes,
    rxBytes: s.rxBytes,
    txPackets: s.txPackets,
    rxPackets: s.rxPackets,
    drops: s.drops,
    since: s.since,
  };
}

/** The device, its offloads and its I/O counters (reads and writes per system call). */
export function deviceStatus(d: NetDevice): DeviceStatus {
  const s = d.stats();
  return {
    name: d.name,
    mtu: d.mtu,
    offloads: d.offloads,
    coalescing: d.coalescing,
    counters: {
      framesRead: s.framesRead,
      readBatches: s.readBatches,
      offloadSuperPackets: s.offloadSuperPackets,
      offloadSegments: s.offloadSegments,
      offloadInvalid: s.offloadInvalid,
      framesWritten: s.framesWritten,
      writes: s.writes,
      framesCoalesced: s.framesCoalesced,
      gsoWritesRefused: s.gsoWritesRefused,
      writeErrors: s.writeErrors,
      writeQueueDrops: s.writeQueueDrops,
    },
  };
}

export interface HealthInput {
  deviceName: string;
  device: DeviceHealth | undefined;
  serverConnected: boolean;
  /** Since the control session was lost (or the agent started without one). */
  serverAwayMs: number;
  serverError: string | null;
  /** Running from the cached network map (the server has not answered since the start). */
  fromCache: boolean;
  peers: readonly PeerView[];
}

/** The server may blink; a minute without it is worth an operator's eye. */
const SERVER_AWAY_MS = 60_000;

/** `degraded` with each problem in words, or `ok` (AgentStatus.health, `rtcmesh status`). */
export function healthOf(h: HealthInput): NonNullable<AgentStatus['health']> {
  const problems: string[] = [];
  if (h.device?.state === 'recovering')
    problems.push(`device ${h.deviceName} failed (${h.device.error}): re-opening it`);
  if (h.device?.state === 'failed')
    problems.push(`device ${h.deviceName} failed for good: ${h.device.error}`);
  if (!h.serverConnected && h.serverAwayMs > SERVER_AWAY_MS)
    problems.push(
      `no signaling server for ${Math.round(h.serverAwayMs / 60_000)} min${h.serverError ? ` (${h.serverError})` : ''}`,
    );
  if (h.fromCache) problems.push('running from the cached network map (server not reached yet)');
  const online = h.peers.filter((p) => p.info.online && !p.refused);
  const down = online.filter((p) => p.link?.currentState !== 'connected');
  if (down.length > 0) {
    const names = down.slice(0, 5).map((p) => p.info.name);
    problems.push(
      `${down.length} of ${online.length} peers unreachable: ${names.join(', ')}${down.length > 5 ? ', …' : ''}`,
    );
  }
  return { state: problems.length > 0 ? 'degraded' : 'ok', problems };
}
