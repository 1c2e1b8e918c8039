import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, test } from 'vitest';
import {
  authChallengeBytes,
  canonicalJson,
  generateNodeKey,
  importPublicKey,
  isValidPublicKey,
  POLICY_DOMAIN,
  policyPayload,
  publicKeyOf,
  signAuthChallenge,
  signDomain,
  signJoinRequest,
  verifyAuthChallenge,
  verifyDomain,
  verifyJoinProof,
  verifyPolicySignature,
} from './keys.js';

describe('node keys', () => {
  const key = generateNodeKey();
  const params = { nodeId: 'node-1', nonce: 'abcdefghijklmnopqrstuv', version: 1 };

  test('public key is 32 raw bytes in base64 and derives from the private key', () => {
    expect(Buffer.from(key.publicKey, 'base64')).toHaveLength(32);
    expect(publicKeyOf(key.privateKey)).toBe(key.publicKey);
    expect(isValidPublicKey(key.publicKey)).toBe(true);
    expect(isValidPublicKey('AAAA')).toBe(false);
  });

  test('SPKI encoding is accepted too', () => {
    const spki = importPublicKey(key.publicKey).export({ format: 'der', type: 'spki' }).toString('base64');
    expect(verifyAuthChallenge(spki, params, signAuthChallenge(key.privateKey, params))).toBe(true);
  });

  test('signed bytes are domain separated and bind version, node and nonce', () => {
    expect(authChallengeBytes(params).toString()).toBe('rtcmesh-auth-v1\n1\nnode-1\nabcdefghijklmnopqrstuv');
    const sig = signAuthChallenge(key.privateKey, params);
    expect(verifyAuthChallenge(key.publicKey, params, sig)).toBe(true);
    expect(verifyAuthChallenge(key.publicKey, { ...params, nonce: `${params.nonce}x` }, sig)).toBe(false);
    expect(verifyAuthChallenge(key.publicKey, { ...params, nodeId: 'node-2' }, sig)).toBe(false);
    expect(verifyAuthChallenge(key.publicKey, { ...params, version: 2 }, sig)).toBe(false);
    expect(verifyAuthChallenge(generateNodeKey().publicKey, params, sig)).toBe(false);
  });

  test('a challenge signature is not valid as a domain signature and vice versa', () => {
    const payload = authChallengeBytes(params);
    const sig = signDomain(key.privateKey, 'dtls', payload);
    expect(verifyDomain(key.publicKey, 'dtls', payload, sig)).toBe(true);
    expect(verifyAuthChallenge(key.publicKey, params, sig)).toBe(false);
  });

  test('garbage keys and signatures are rejected without throwing', () => {
    expect(verifyAuthChallenge('not-a-key', params, 'AAAA')).toBe(false);
    expect(verifyAuthChallenge(key.publicKey, params, '!!!')).toBe(false);
    expect(verifyAuthChallenge(key.publicKey, params, Buffer.alloc(64).toString('base64'))).toBe(false);
  });
});

describe('keys no private key stands behind', () => {
  const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
  const ones = 'ff'.repeat(30);
  // The eight points of small order, canonically encoded (RFC 8032 §5.1.3; "Taming the many EdDSAs",
  // Chalkias et al. 2020, table 5): identity, order 2, two of order 4, four of order 8.
  const smallOrder = [
    `01${'00'.repeat(31)}`,
    `ec${ones}7f`,
    '00'.repeat(32),
    `${'00'.repeat(31)}80`,
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  ];
  // Non-canonical encodings: y = p (which is 0), y = p + 1 (1: the identity), the identity with the
  // sign bit set (x = 0 has no negative).
  const nonCanonical = [`ed${ones}7f`, `ee${ones}7f`, `01${'00'.repeat(30)}80`];

  test.each(smallOrder)('small-order point %s is refused', (hex) => {
    expect(() => importPublicKey(b64(hex))).toThrow(/small order/);
    expect(isValidPublicKey(b64(hex))).toBe(false);
  });

  test.each(nonCanonical)('non-canonical encoding %s is refused', (hex) => {
    expect(() => importPublicKey(b64(hex))).toThrow(/canonical/);
  });

  test('a key with a torsion component is refused', () => {
    // A real key plus the order-2 point: on the curve, canonical, not of small order, but no secret
    // scalar has it as its public key.
    const real = Buffer.from(generateNodeKey().publicKey, 'base64');
    const order2 = ed25519.Point.fromBytes(Buffer.from(`ec${ones}7f`, 'hex'));
    const mixed = ed25519.Point.fromBytes(real).add(order2).toBytes();
    expect(() => importPublicKey(Buffer.from(mixed).toString('base64'))).toThrow(/torsion/);
  });

  test('the forgery such a key allows does not verify: identity key, identity R, S = 0', () => {
    // With A = identity, [S]B = R + [k]A holds for R = identity and S = 0 whatever the message.
    const forged = Buffer.concat([Buffer.from(`01${'00'.repeat(31)}`, 'hex'), Buffer.alloc(32)]).toString(
      'base64',
    );
    const identity = b64(`01${'00'.repeat(31)}`);
    expect(verifyDomain(identity, 'rekey', 'anything', forged)).toBe(false);
    expect(
      verifyAuthChallenge(identity, { nodeId: 'n', nonce: 'abcdefghijklmnopqrstuv', version: 1 }, forged),
    ).toBe(false);
  });
});

describe('signed documents', () => {
  test('canonical JSON does not depend on key order, keeps array order, drops undefined', () => {
    const a = { version: 2, rules: [{ src: ['*'], action: 'accept' }], l2: undefined };
    const b = { rules: [{ action: 'accept', src: ['*'] }], version: 2 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"rules":[{"action":"accept","src":["*"]}],"version":2}');
    expect(canonicalJson({ r: [2, 1] })).not.toBe(canonicalJson({ r: [1, 2] }));
  });

  test('a policy signature survives re-serialization and binds the network', () => {
    const op = generateNodeKey();
    const doc = { version: 3, rules: [{ action: 'accept', src: ['*'], dst: ['*'] }] };
    const sig = signDomain(op.privateKey, POLICY_DOMAIN, policyPayload('net-a', doc));
    const reparsed = JSON.parse(JSON.stringify({ rules: doc.rules, version: 3 })) as unknown;
    expect(verifyPolicySignature([op.publicKey], 'net-a', reparsed, sig)).toBe(true);
    expect(verifyPolicySignature([op.publicKey], 'net-b', reparsed, sig)).toBe(false);
    expect(verifyPolicySignature([op.publicKey], 'net-a', { ...doc, version: 4 }, sig)).toBe(false);
    expect(verifyPolicySignature([op.publicKey], 'net-a', doc, undefined)).toBe(false);
  });

  test('a join proof binds the join key, the public key and the name', () => {
    const node = generateNodeKey();
    const req = signJoinRequest(node.privateKey, { key: 'rtcmesh-key-a', name: 'web', agentVersion: 't' });
    expect(req.publicKey).toBe(node.publicKey);
    expect(verifyJoinProof(req)).toBe(true);
    expect(verifyJoinProof({ ...req, key: 'rtcmesh-key-b' })).toBe(false);
    expect(verifyJoinProof({ ...req, name: 'db' })).toBe(false);
    expect(verifyJoinProof({ ...req, publicKey: generateNodeKey().publicKey })).toBe(false);
    expect(verifyJoinProof({ ...req, proof: undefined })).toBe(false);
  });
});
