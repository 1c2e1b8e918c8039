import { randomToken } from './secrets.js';

/**
 * Join keys look like `rtcmesh-key-<id>-<secret>`: the id finds the row, the secret is checked against
 * its hash. Base64url secrets may contain '-' so the id is fixed at 12 chars of [a-z0-9].
 */
const PREFIX = 'rtcmesh-key-';
const ID_RE = /^[a-z0-9]{12}$/;

export function newJoinKeyId(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(12)),
    (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36],
  ).join('');
}

export function formatJoinKey(id: string, secret: string): string {
  return `${PREFIX}${id}-${secret}`;
}

export function newJoinKeySecret(): string {
  return randomToken(24);
}

export function parseJoinKey(key: string): { id: string; secret: string } | null {
  if (!key.startsWith(PREFIX)) return null;
  const rest = key.slice(PREFIX.length);
  const id = rest.slice(0, 12);
  if (!ID_RE.test(id) || rest[12] !== '-') return null;
  const secret = rest.slice(13);
  if (secret.length < 16 || secret.length > 128) return null;
  return { id, secret };
}
