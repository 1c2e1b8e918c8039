import { describe, expect, test } from 'vitest';
import {
  authChallengeBytes,
  generateNodeKey,
  importPublicKey,
  isValidPublicKey,
  publicKeyOf,
  signAuthChallenge,
  signDomain,
  verifyAuthChallenge,
  verifyDomain,
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
