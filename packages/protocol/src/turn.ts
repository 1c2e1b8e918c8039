import { createHmac } from 'node:crypto';

export type TurnCredential = {
  /** "<expiry epoch seconds>:<nodeId>" as the TURN REST API (draft-uberti-behave-turn-rest) specifies. */
  username: string;
  /** base64(HMAC-SHA1(secret, username)); what coturn's `use-auth-secret` + `static-auth-secret` checks. */
  credential: string;
  /** Epoch milliseconds when coturn stops accepting it. */
  expiresAt: number;
};

/** Mints a time-limited TURN credential for `nodeId`, valid for `ttlSeconds` from `nowMs`. */
export function mintTurnCredential(
  secret: string,
  nodeId: string,
  ttlSeconds: number,
  nowMs: number = Date.now(),
): TurnCredential {
  const expiry = Math.floor(nowMs / 1000) + Math.max(1, Math.floor(ttlSeconds));
  const username = `${expiry}:${nodeId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt: expiry * 1000 };
}
