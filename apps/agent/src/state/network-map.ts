import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  type Config,
  type PeerInfo,
  type PolicyMessage,
  type Welcome,
  WelcomeSchema,
} from '@rtcmesh/protocol';
import { z } from 'zod';
import { type DirectHint, DirectHintSchema } from '../links/direct-hint.js';

/** Default `--offline-max-age`: a map older than this is not trusted to start from. */
export const DEFAULT_MAP_MAX_AGE_MS = 7 * 24 * 3600_000;

/**
 * The network as the server last described it to this node, kept current from every control message,
 * so that an agent restarted while the server is away can bring up its device and links (the
 * "offline start"). It is the server's `welcome` with every later update applied: the same shape the
 * agent already starts from, so the offline path runs exactly the code the online one does, peer
 * authentication included.
 */
export class NetworkMap {
  private welcome: Welcome | undefined;
  /** Epoch ms of the last time the server vouched for this map (a message, or a live session). */
  private confirmedAt = 0;

  get current(): Welcome | undefined {
    return this.welcome;
  }

  get lastConfirmedAt(): number {
    return this.confirmedAt;
  }

  /** The server is connected now: the map is as fresh as this moment. */
  confirm(now: number): void {
    this.confirmedAt = now;
  }

  applyWelcome(w: Welcome, now: number): void {
    this.welcome = w;
    this.confirm(now);
  }

  applyConfig(c: Config, now: number): void {
    const w = this.welcome;
    if (!w) return;
    this.welcome = {
      ...w,
      ...(c.self ? { self: c.self } : {}),
      ...(c.network ? { network: c.network } : {}),
      ...(c.iceServers ? { iceServers: c.iceServers } : {}),
      ...(c.iceServersExpireAt !== undefined ? { iceServersExpireAt: c.iceServersExpireAt } : {}),
    };
    this.confirm(now);
  }

  applyPolicy(m: PolicyMessage, now: number): void {
    const w = this.welcome;
    if (!w) return;
    const { policySignature: _old, ...rest } = w;
    this.welcome = { ...rest, policy: m.policy, ...(m.signature ? { policySignature: m.signature } : {}) };
    this.confirm(now);
  }

  upsertPeer(p: PeerInfo, now: number): void {
    const w = this.welcome;
    if (!w || p.nodeId === w.self.nodeId) return;
    const known = w.peers.some((x) => x.nodeId === p.nodeId);
    const peers = known ? w.peers.map((x) => (x.nodeId === p.nodeId ? p : x)) : [...w.peers, p];
    this.welcome = { ...w, peers };
    this.confirm(now);
  }

  peerLeft(nodeId: string, lastSeen: number, now: number): void {
    const w = this.welcome;
    if (!w) return;
    this.welcome = {
      ...w,
      peers: w.peers.map((p) => (p.nodeId === nodeId ? { ...p, online: false, lastSeen } : p)),
    };
    this.confirm(now);
  }

  /** A removed node leaves the map at once: an offline restart never lets it in again. */
  removePeer(nodeId: string, now: number): void {
    const w = this.welcome;
    if (!w) return;
    this.welcome = { ...w, peers: w.peers.filter((p) => p.nodeId !== nodeId) };
    this.confirm(now);
  }
}

/** The cache file: the map, when the server last vouched for it, and how to reach peers directly. */
const CachedMapSchema = z.object({
  version: z.literal(1),
  savedAt: z.number().int(),
  confirmedAt: z.number().int(),
  welcome: WelcomeSchema,
  direct: z.record(z.string().max(128), DirectHintSchema).optional(),
});
export type CachedMap = z.infer<typeof CachedMapSchema>;

export type CachedMapLoad =
  | { ok: true; map: CachedMap; ageMs: number }
  | { ok: false; reason: string; missing?: boolean };

/**
 * `network-map.json` in the state directory: mode 0600 (it names every peer and its addresses),
 * replaced atomically (a crash mid-write leaves the previous map).
 */
export class NetworkMapStore {
  constructor(readonly path: string) {}

  async save(map: CachedMap): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(map)}\n`, { mode: 0o600 });
    await rename(tmp, this.path);
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }

  /**
   * The cached map if it belongs to this node and network and the server vouched for it within
   * `maxAgeMs`; otherwise why not (the agent then waits for the server as before).
   */
  async load(
    expect: { nodeId: string; networkId?: string | undefined },
    maxAgeMs: number,
    now: number,
  ): Promise<CachedMapLoad> {
    let raw: string;
    try {
      raw = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return { ok: false, reason: 'no cached network map', missing: true };
      return { ok: false, reason: `cannot read ${this.path}: ${(err as Error).message}` };
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return { ok: false, reason: `${this.path} is not valid JSON` };
    }
    const parsed = CachedMapSchema.safeParse(json);
    if (!parsed.success)
      return {
        ok: false,
        reason: `${this.path} is invalid (${parsed.error.issues[0]?.message ?? 'schema'})`,
      };
    const map = parsed.data;
    if (map.welcome.self.nodeId !== expect.nodeId)
      return { ok: false, reason: 'the cached network map belongs to another node' };
    if (expect.networkId && map.welcome.network.id !== expect.networkId)
      return { ok: false, reason: 'the cached network map belongs to another network' };
    const ageMs = now - map.confirmedAt;
    if (ageMs > maxAgeMs)
      return {
        ok: false,
        reason: `the cached network map is ${formatAge(ageMs)} old (--offline-max-age ${formatAge(maxAgeMs)})`,
      };
    return { ok: true, map, ageMs };
  }
}

/**
 * The welcome an offline start runs from. Peers seen within `maxAgeMs` count as online (they may well
 * be up; their links try); TURN credentials past their expiry are dropped (a relay would refuse them:
 * only direct paths work until the server mints new ones).
 */
export function offlineWelcome(
  map: CachedMap,
  maxAgeMs: number,
  now: number,
): { welcome: Welcome; turnExpired: boolean } {
  const w = map.welcome;
  const turnExpired = w.iceServersExpireAt !== null && w.iceServersExpireAt <= now;
  const iceServers = turnExpired
    ? w.iceServers
        .map((s) => ({ urls: s.urls.filter((u) => u.startsWith('stun:') || u.startsWith('stuns:')) }))
        .filter((s) => s.urls.length > 0)
    : w.iceServers;
  const peers = w.peers.map((p) => ({
    ...p,
    online: p.online || (p.lastSeen !== null && now - p.lastSeen <= maxAgeMs),
  }));
  return { welcome: { ...w, iceServers, peers, morePeers: false }, turnExpired };
}

export function directHints(map: CachedMap): Map<string, DirectHint> {
  return new Map(Object.entries(map.direct ?? {}));
}

/** "3d", "5h", "12m", "40s". */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 86400) return `${Math.round(s / 86400)}d`;
  if (s >= 3600) return `${Math.round(s / 3600)}h`;
  if (s >= 60) return `${Math.round(s / 60)}m`;
  return `${s}s`;
}

/** Parses `--offline-max-age`: "7d", "12h", "30m", "90s", or plain milliseconds; 0 disables offline start. */
export function parseDuration(raw: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!m) throw new Error(`invalid duration ${JSON.stringify(raw)} (use e.g. 7d, 12h, 30m, 90s)`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86400_000 }[m[2] ?? 'ms'];
  return n * unit!;
}
