import {
  CloseCode,
  ErrorCode,
  generateNodeKey,
  SUPPORTED_VERSIONS,
  signAuthChallenge,
} from '@rtcmesh/protocol';
import { expect, test } from 'vitest';
import type { NodeRow } from '../store/nodes.js';
import { type AuthNodes, type AwaitingAuth, answerHello, verifyAuth } from './handshake.js';

test('hello: a challenge in the highest common version, a fresh nonce each time', () => {
  const a = answerHello({
    type: 'hello',
    versions: [...SUPPORTED_VERSIONS, 999],
    nodeId: 'n-a',
    agentVersion: '1.2',
  });
  const b = answerHello({ type: 'hello', versions: [...SUPPORTED_VERSIONS], nodeId: 'n-a' });
  if (!a.ok || !b.ok) throw new Error('expected challenges');
  const highest = Math.max(...SUPPORTED_VERSIONS);
  expect(a.challenge).toEqual({ type: 'challenge', nonce: a.state.nonce, version: highest });
  expect(a.state).toMatchObject({ kind: 'await-auth', nodeId: 'n-a', version: highest, agentVersion: '1.2' });
  expect(a.state.nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(b.state.nonce).not.toBe(a.state.nonce);
});

test('hello with no common version: closed with what each side speaks', () => {
  const r = answerHello({ type: 'hello', versions: [999], nodeId: 'n-a' });
  expect(r).toEqual({
    ok: false,
    code: ErrorCode.UnsupportedVersion,
    message: `no common protocol version: server speaks ${JSON.stringify(SUPPORTED_VERSIONS)}, client offered [999]`,
    closeCode: CloseCode.UnsupportedVersion,
  });
});

const key = generateNodeKey();
const other = generateNodeKey();
const st: AwaitingAuth = { kind: 'await-auth', nodeId: 'n-a', nonce: 'nonce-1', version: 2, helloAt: 0 };
const sign = (k: { privateKey: string }) =>
  signAuthChallenge(k.privateKey, { nodeId: st.nodeId, nonce: st.nonce, version: st.version });

function store(opts: { node?: boolean; revoked?: string[]; removedKey?: string }): AuthNodes {
  const node = { id: 'n-a', publicKey: key.publicKey } as NodeRow;
  return {
    nodes: {
      get: async (id: string) => (opts.node && id === node.id ? node : undefined),
      isKeyRevoked: async (k: string) => (opts.revoked ?? []).includes(k),
      revokedKeyOf: async (id: string) => (id === 'n-a' ? opts.removedKey : undefined),
    },
  };
}

test('auth: the node signed with its key is ok', async () => {
  const r = await verifyAuth(store({ node: true }), st, sign(key));
  expect(r.kind).toBe('ok');
  if (r.kind === 'ok') expect(r.node.id).toBe('n-a');
});

test('auth: wrong key, revoked key and unknown node all fail the same way', async () => {
  expect(await verifyAuth(store({ node: true }), st, sign(other))).toEqual({ kind: 'failed' });
  expect(await verifyAuth(store({ node: true, revoked: [key.publicKey] }), st, sign(key))).toEqual({
    kind: 'failed',
  });
  expect(await verifyAuth(store({}), st, sign(key))).toEqual({ kind: 'failed' });
  // Signed for another nonce: a replay.
  const replay = signAuthChallenge(key.privateKey, { nodeId: 'n-a', nonce: 'nonce-0', version: 2 });
  expect(await verifyAuth(store({ node: true }), st, replay)).toEqual({ kind: 'failed' });
});

test('auth: only the holder of a removed node key learns it was removed', async () => {
  expect(await verifyAuth(store({ removedKey: key.publicKey }), st, sign(key))).toEqual({ kind: 'removed' });
  expect(await verifyAuth(store({ removedKey: key.publicKey }), st, sign(other))).toEqual({ kind: 'failed' });
});
