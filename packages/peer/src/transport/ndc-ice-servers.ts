import type { IceServer } from '../connect-plan.js';

/** node-datachannel's TURN server object (its `IceServer` type, restated so this module loads no addon). */
export interface NdcTurnServer {
  hostname: string;
  port: number;
  username?: string;
  password?: string;
  relayType: 'TurnUdp';
}

export type NdcIceServer = string | NdcTurnServer;

export interface NdcIceServers {
  servers: NdcIceServer[];
  /** URLs the prebuilt libdatachannel cannot use, with why (logged; the plan then gathers without them). */
  skipped: Array<{ url: string; reason: string }>;
}

interface ParsedUrl {
  scheme: 'stun' | 'stuns' | 'turn' | 'turns';
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
}

const DEFAULT_PORT = { stun: 3478, stuns: 5349, turn: 3478, turns: 5349 } as const;

/** Parses an RFC 7064/7065 `stun:`/`turn:` URL; undefined when it is not one. */
export function parseIceUrl(url: string): ParsedUrl | undefined {
  const m =
    /^(stuns?|turns?):(\[[0-9a-fA-F:.]+\]|[^:?@/[\]]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/i.exec(
      url.trim(),
    );
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase() as ParsedUrl['scheme'];
  const rawHost = m[2]!;
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  const port = m[3] === undefined ? DEFAULT_PORT[scheme] : Number(m[3]);
  if (port < 1 || port > 65_535) return undefined;
  const transport =
    (m[4]?.toLowerCase() as 'udp' | 'tcp' | undefined) ?? (scheme === 'turns' ? 'tcp' : 'udp');
  return { scheme, host, port, transport };
}

/** True when the prebuilt libdatachannel can use this URL (STUN, or TURN over UDP). */
export function ndcSupportsIceUrl(url: string): boolean {
  const p = parseIceUrl(url);
  return p !== undefined && (p.scheme === 'stun' || (p.scheme === 'turn' && p.transport === 'udp'));
}

/**
 * werift-style ICE servers -> node-datachannel's. TURN servers become objects, not
 * `turn:user:pass@host` strings: a TURN REST username is `expiry:nodeId` and contains ':'.
 * node-datachannel's prebuilt binaries use libjuice for ICE, which relays over UDP only
 * ("TURN transports TCP and TLS are not supported with libjuice"), and STUN over TLS does not exist
 * there either: such URLs are skipped and reported.
 */
export function toNdcIceServers(servers: readonly IceServer[]): NdcIceServers {
  const out: NdcIceServers = { servers: [], skipped: [] };
  for (const s of servers) {
    for (const url of Array.isArray(s.urls) ? s.urls : [s.urls]) {
      const p = parseIceUrl(url);
      if (!p) {
        out.skipped.push({ url, reason: 'not a stun:/turn: URL' });
      } else if (p.scheme === 'stun') {
        out.servers.push(`stun:${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`);
      } else if (p.scheme === 'turn' && p.transport === 'udp') {
        const turn: NdcTurnServer = { hostname: p.host, port: p.port, relayType: 'TurnUdp' };
        if (s.username !== undefined) turn.username = s.username;
        if (s.credential !== undefined) turn.password = s.credential;
        out.servers.push(turn);
      } else {
        out.skipped.push({ url, reason: 'libdatachannel (libjuice) relays over UDP only' });
      }
    }
  }
  return out;
}
