import { generateKeyPairSync } from 'node:crypto';
import { publicKeyOf } from '@rtcmesh/protocol';
import { describe, expect, test } from 'vitest';
import {
  decodeDatagram,
  type Envelope,
  encodeDatagram,
  MAX_DATAGRAM_BYTES,
  type UnsignedEnvelope,
  verifyEnvelope,
} from './direct-wire.js';

const key = generateKeyPairSync('ed25519').privateKey;
const pub = publicKeyOf(key);

const unsigned: UnsignedEnvelope = {
  net: 'net1',
  from: 'node-a',
  to: 'node-b',
  boot: 'b00t',
  ts: 1_700_000_000_000,
  seq: 7,
  body: { t: 'signal', n: 3, first: 1, at: 1_699_999_999_000, data: { kind: 'bye', gen: 'g1' } },
};

function decoded(msg: Buffer): Envelope {
  const env = decodeDatagram(msg);
  if (typeof env === 'string') throw new Error(`not decoded: ${env}`);
  return env;
}

describe('direct signaling datagrams', () => {
  test('an encoded datagram decodes to its envelope and verifies with the sender key', () => {
    const env = decoded(encodeDatagram(key, unsigned));
    expect(env).toMatchObject({ v: 1, ...unsigned });
    expect(verifyEnvelope(env, pub)).toBe(true);
  });

  test('another key or any changed field fails the signature', () => {
    const env = decoded(encodeDatagram(key, unsigned));
    expect(verifyEnvelope(env, publicKeyOf(generateKeyPairSync('ed25519').privateKey))).toBe(false);
    expect(verifyEnvelope({ ...env, to: 'node-c' }, pub)).toBe(false);
    expect(verifyEnvelope({ ...env, seq: 8 }, pub)).toBe(false);
    expect(verifyEnvelope({ ...env, body: { t: 'hello' } }, pub)).toBe(false);
  });

  test('a datagram over the size limit, not JSON, or not an envelope is refused', () => {
    expect(decodeDatagram(Buffer.alloc(MAX_DATAGRAM_BYTES + 1, 0x20))).toBe('oversize');
    expect(decodeDatagram(Buffer.from('not json'))).toBe('malformed');
    expect(decodeDatagram(Buffer.from('{"v":1}'))).toBe('malformed');
    const good = JSON.parse(encodeDatagram(key, unsigned).toString('utf8'));
    const variant = (o: object) => decodeDatagram(Buffer.from(JSON.stringify({ ...good, ...o })));
    expect(variant({ v: 2 })).toBe('malformed');
    expect(variant({ body: { t: 'what' } })).toBe('malformed');
    expect(variant({ seq: -1 })).toBe('malformed');
    expect(variant({ boot: 'x'.repeat(33) })).toBe('malformed');
    expect(variant({})).not.toBe('malformed');
  });
});
