import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import type { JoinRequest } from './api.js';

/**
 * Ed25519 node keys. Encodings on the wire and on disk:
 * - public key: base64 of the 32 raw bytes (what `publicKey` fields carry);
 * - private key: base64 of the PKCS#8 DER (48 bytes), what an agent stores in its state directory.
 * importPublicKey also accepts base64 SPKI DER (44 bytes).
 */
export type NodeKeyPair = { publicKey: string; privateKey: string };

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32 raw key bytes follow. */
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function generateNodeKey(): NodeKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicKey: exportPublicKey(publicKey), privateKey: exportPrivateKey(privateKey) };
}

export function exportPublicKey(key: KeyObject): string {
  const spki = key.export({ format: 'der', type: 'spki' });
  return spki.subarray(SPKI_PREFIX.length).toString('base64');
}

export function exportPrivateKey(key: KeyObject): string {
  return key.export({ format: 'der', type: 'pkcs8' }).toString('base64');
}

/** Parses a base64 raw (32 bytes) or SPKI (44 bytes) Ed25519 public key. Throws on anything else. */
export function importPublicKey(encoded: string): KeyObject {
  const bytes = Buffer.from(encoded, 'base64');
  let der: Buffer;
  if (bytes.length === 32) der = Buffer.concat([SPKI_PREFIX, bytes]);
  else if (bytes.length === 44 && bytes.subarray(0, SPKI_PREFIX.length).equals(SPKI_PREFIX)) der = bytes;
  else throw new Error('not an Ed25519 public key (expected 32 raw or 44 SPKI bytes, base64)');
  checkKeyPoint(der.subarray(SPKI_PREFIX.length));
  const key = createPublicKey({ key: der, format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 public key');
  return key;
}

/**
 * Refuses public keys no private key stands behind: a non-canonical encoding (y ≥ p, or x = 0 with the
 * sign bit set), a point of small order (the all-zero key among them: with these, signatures can be
 * made that verify for messages nobody signed) or one with a torsion component (never the public key
 * of a real secret scalar, and a key that verifies differently across implementations). Every key the
 * project accepts goes through here: joins, rekeys, lock keys, peers' keys seen by an agent.
 */
function checkKeyPoint(raw: Uint8Array): void {
  let point: ReturnType<typeof ed25519.Point.fromBytes>;
  try {
    point = ed25519.Point.fromBytes(raw, false);
  } catch {
    throw new Error('not an Ed25519 public key (not a canonical point encoding)');
  }
  if (point.isSmallOrder()) throw new Error('not an Ed25519 public key (a point of small order)');
  if (!point.isTorsionFree()) throw new Error('not an Ed25519 public key (a point with a torsion component)');
}

/** Parses a base64 PKCS#8 Ed25519 private key. Throws on anything else. */
export function importPrivateKey(encoded: string): KeyObject {
  const key = createPrivateKey({ key: Buffer.from(encoded, 'base64'), format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 private key');
  return key;
}

/** True when `encoded` is a well-formed public key (for validating input without try/catch). */
export function isValidPublicKey(encoded: string): boolean {
  try {
    importPublicKey(encoded);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why `encoded` is not a node public key as carried on the wire (base64 of 32 raw bytes), or undefined
 * when it is one: for error messages that tell the user what is wrong with a key.
 */
export function rawPublicKeyProblem(encoded: string): string | undefined {
  if (Buffer.from(encoded, 'base64').length !== 32) return 'not base64 of a 32-byte Ed25519 public key';
  try {
    importPublicKey(encoded);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export function publicKeyOf(privateKey: string | KeyObject): string {
  const key = typeof privateKey === 'string' ? importPrivateKey(privateKey) : privateKey;
  return exportPublicKey(createPublicKey(key));
}

export type AuthChallengeParams = { nodeId: string; nonce: string; version: number };

/**
 * The exact bytes signed to answer a challenge: UTF-8 of
 *   "rtcmesh-auth-v1\n" + version + "\n" + nodeId + "\n" + nonce
 * (version in decimal, nonce exactly as the server sent it). The prefix keeps this signature from being
 * valid in any other context that signs with the node key; the nonce makes it single-use; version binds
 * the negotiated protocol version so it cannot be downgraded silently.
 */
export function authChallengeBytes(p: AuthChallengeParams): Buffer {
  return Buffer.from(`rtcmesh-auth-v1\n${p.version}\n${p.nodeId}\n${p.nonce}`, 'utf8');
}

export function signAuthChallenge(privateKey: string | KeyObject, p: AuthChallengeParams): string {
  const key = typeof privateKey === 'string' ? importPrivateKey(privateKey) : privateKey;
  return sign(null, authChallengeBytes(p), key).toString('base64');
}

/** Verifies a challenge signature. Never throws: malformed keys or signatures are simply invalid. */
export function verifyAuthChallenge(
  publicKey: string | KeyObject,
  p: AuthChallengeParams,
  signature: string,
): boolean {
  return verifyDomainSignature(publicKey, authChallengeBytes(p), signature);
}

/**
 * Domain-separated signature for other uses of the node key (DTLS fingerprints, key rotation, lock). Signed bytes:
 * UTF-8 "rtcmesh-" + domain + "-v1\n" followed by the payload.
 */
export function domainBytes(domain: string, payload: string | Uint8Array): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  return Buffer.concat([Buffer.from(`rtcmesh-${domain}-v1\n`, 'utf8'), body]);
}

export function signDomain(
  privateKey: string | KeyObject,
  domain: string,
  payload: string | Uint8Array,
): string {
  const key = typeof privateKey === 'string' ? importPrivateKey(privateKey) : privateKey;
  return sign(null, domainBytes(domain, payload), key).toString('base64');
}

export function verifyDomain(
  publicKey: string | KeyObject,
  domain: string,
  payload: string | Uint8Array,
  signature: string,
): boolean {
  return verifyDomainSignature(publicKey, domainBytes(domain, payload), signature);
}

/**
 * Parsed public keys by their base64 form: parsing costs several times the verification itself, and
 * the same few keys (a network's peers and lock keys) are checked over and over. Bounded: the oldest
 * entry goes first.
 */
const publicKeyCache = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE_SIZE = 4096;

function cachedPublicKey(encoded: string): KeyObject {
  let key = publicKeyCache.get(encoded);
  if (!key) {
    key = importPublicKey(encoded);
    if (publicKeyCache.size >= PUBLIC_KEY_CACHE_SIZE) {
      publicKeyCache.delete(publicKeyCache.keys().next().value as string);
    }
    publicKeyCache.set(encoded, key);
  }
  return key;
}

function verifyDomainSignature(publicKey: string | KeyObject, bytes: Buffer, signature: string): boolean {
  try {
    const key = typeof publicKey === 'string' ? cachedPublicKey(publicKey) : publicKey;
    const sig = Buffer.from(signature, 'base64');
    if (sig.length !== 64) return false;
    return verify(null, bytes, key, sig);
  } catch {
    return false;
  }
}

/** Domain of the proof of the new key in a `rekey` message. */
export const REKEY_DOMAIN = 'rekey';

/** What the new key signs in a `rekey`: the node and both keys, so the proof can't be replayed elsewhere. */
export function rekeyPayload(nodeId: string, oldPublicKey: string, newPublicKey: string): string {
  return `${nodeId}\n${oldPublicKey}\n${newPublicKey}`;
}

/** Domain of an operator's signature over a node key in a locked network. */
export const NODE_KEY_DOMAIN = 'node-key';

/** What an operator key signs to admit a node key to a locked network. */
export function nodeKeyPayload(networkId: string, nodeId: string, publicKey: string): string {
  return `${networkId}\n${nodeId}\n${publicKey}`;
}

/** True if `signature` over the node key verifies with any of the network's lock keys. */
export function verifyNodeKeySignature(
  lockKeys: readonly string[],
  networkId: string,
  nodeId: string,
  publicKey: string,
  signature: string | undefined,
): boolean {
  if (!signature) return false;
  const payload = nodeKeyPayload(networkId, nodeId, publicKey);
  return lockKeys.some((k) => verifyDomain(k, NODE_KEY_DOMAIN, payload, signature));
}

/** Domain of the node key's proof in a join request. */
export const JOIN_DOMAIN = 'join';

/**
 * What the node key signs in a join request: the join key, the public key and the name. Only the
 * holder of the private key can ask the server about a key (is it registered, in this network or
 * another, removed?), so the answers tell a stranger nothing about other networks.
 */
export function joinPayload(joinKey: string, publicKey: string, name: string): string {
  return `${joinKey}\n${publicKey}\n${name}`;
}

/** A join request for `privateKey`'s node, with its public key and proof of possession filled in. */
export function signJoinRequest(
  privateKey: string | KeyObject,
  req: Omit<JoinRequest, 'publicKey' | 'proof'>,
): JoinRequest {
  const publicKey = publicKeyOf(privateKey);
  return {
    ...req,
    publicKey,
    proof: signDomain(privateKey, JOIN_DOMAIN, joinPayload(req.key, publicKey, req.name)),
  };
}

/** True when the request's proof is the node key's signature over joinPayload. Never throws. */
export function verifyJoinProof(req: Pick<JoinRequest, 'key' | 'publicKey' | 'name' | 'proof'>): boolean {
  return (
    req.proof !== undefined &&
    verifyDomain(req.publicKey, JOIN_DOMAIN, joinPayload(req.key, req.publicKey, req.name), req.proof)
  );
}

/** Domain of an operator's signature over a locked network's access policy. */
export const POLICY_DOMAIN = 'policy';

/**
 * JSON with object keys sorted at every level (arrays keep their order): the same document gives
 * the same bytes whoever serialized it, so a signature survives the server's storing and re-sending.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What an operator key signs to let a policy into a locked network: the network and the document. */
export function policyPayload(networkId: string, policy: unknown): string {
  return `${networkId}\n${canonicalJson(policy)}`;
}

/** True if `signature` over the policy verifies with any of the network's lock keys. */
export function verifyPolicySignature(
  lockKeys: readonly string[],
  networkId: string,
  policy: unknown,
  signature: string | undefined,
): boolean {
  if (!signature) return false;
  const payload = policyPayload(networkId, policy);
  return lockKeys.some((k) => verifyDomain(k, POLICY_DOMAIN, payload, signature));
}

/** Domain of an operator's signature that lifts a network's lock. */
export const LOCK_DISABLE_DOMAIN = 'lock-disable';

/**
 * What an operator key signs to lift the lock of a network: the network and the lock keys it lifts
 * (sorted), so the statement can neither lift another network's lock nor a later lock with other keys.
 */
export function lockDisablePayload(networkId: string, lockKeys: readonly string[]): string {
  return `${networkId}\n${[...lockKeys].sort().join('\n')}`;
}

/** An operator's statement that lifts the lock of a network (`rtcmesh-signal lock disable`). */
export interface LockDisablement {
  /** The operator key that signed it (one of the lock keys). */
  key: string;
  /** Its signature over lockDisablePayload(network, lock keys). */
  signature: string;
}

/** The disablement signed with `privateKey` (an operator key of `lockKeys`). */
export function signLockDisablement(
  privateKey: string | KeyObject,
  networkId: string,
  lockKeys: readonly string[],
): LockDisablement {
  return {
    key: publicKeyOf(privateKey),
    signature: signDomain(privateKey, LOCK_DISABLE_DOMAIN, lockDisablePayload(networkId, lockKeys)),
  };
}

/** True when `d` is signed by one of `lockKeys` and lifts exactly that set on that network. */
export function verifyLockDisablement(
  lockKeys: readonly string[],
  networkId: string,
  d: LockDisablement | undefined,
): boolean {
  if (!d || !lockKeys.includes(d.key)) return false;
  return verifyDomain(d.key, LOCK_DISABLE_DOMAIN, lockDisablePayload(networkId, lockKeys), d.signature);
}
