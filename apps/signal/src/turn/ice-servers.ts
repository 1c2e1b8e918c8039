import { type IceServer, mintTurnCredential } from '@rtcmesh/protocol';

export type IceConfig = { stun: string[]; turn: string[]; turnSecret?: string; turnTtlSeconds: number };

export type MintedIceServers = { iceServers: IceServer[]; expiresAt: number | null };

/** STUN URLs as given; TURN URLs with a credential minted for `nodeId` (shared secret, TURN REST API). */
export function iceServersFor(cfg: IceConfig, nodeId: string, nowMs: number = Date.now()): MintedIceServers {
  const iceServers: IceServer[] = [];
  if (cfg.stun.length > 0) iceServers.push({ urls: [...cfg.stun] });
  let expiresAt: number | null = null;
  if (cfg.turn.length > 0 && cfg.turnSecret) {
    const c = mintTurnCredential(cfg.turnSecret, nodeId, cfg.turnTtlSeconds, nowMs);
    iceServers.push({ urls: [...cfg.turn], username: c.username, credential: c.credential });
    expiresAt = c.expiresAt;
  }
  return { iceServers, expiresAt };
}
