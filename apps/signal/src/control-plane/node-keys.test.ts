import {
  ErrorCode,
  generateNodeKey,
  importPrivateKey,
  type NetworkSummary,
  NODE_KEY_DOMAIN,
  type NodeSummary,
  nodeKeyPayload,
  REKEY_DOMAIN,
  rekeyPayload,
  signDomain,
  signJoinRequest,
  signLockDisablement,
} from '@rtcmesh/protocol';
import { describe, expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import {
  adminFetch,
  connectKept,
  connectNode,
  createNetworkWithKey,
  joinNode,
  type TestNode,
} from '../testing/test-client.js';
import { useTestServer } from '../testing/use-test-server.js';

let server: SignalServer;
const clients = useTestServer((s) => {
  server = s;
});

const connect = (node: TestNode) => connectKept(server, node, clients);

function rekeyMessage(node: TestNode, next = generateNodeKey(), id = 'r1') {
  return {
    next,
    msg: {
      type: 'rekey',
      id,
      publicKey: next.publicKey,
      signature: signDomain(
        next.privateKey,
        REKEY_DOMAIN,
        rekeyPayload(node.join.nodeId, node.key.publicKey, next.publicKey),
      ),
    },
  };
}

describe('node key rotation', () => {
  test('peers get the new key, the old key is dead, the new one authenticates', async () => {
    const { key } = await createNetworkWithKey(server, 'rk');
    const a = await joinNode(server, key, 'a');
    const b = await joinNode(server, key, 'b');
    const ca = await connect(a);
    const cb = await connect(b);
    const { next, msg } = rekeyMessage(a);
    ca.client.send(msg);
    expect((await ca.client.next('rekeyed')).publicKey).toBe(next.publicKey);
    const update = await cb.client.next('peer-updated', (m) => m.peer.nodeId === a.join.nodeId);
    expect(update.peer.publicKey).toBe(next.publicKey);
    ca.client.close();
    // The old key can neither authenticate nor join again.
    await expect(connectNode(server, a)).rejects.toThrow(/welcome/);
    const rejoin = await fetch(`${server.url}/api/v1/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(signJoinRequest(a.key.privateKey, { key, name: 'a', agentVersion: 'test' })),
    });
    expect(rejoin.status).toBe(403);
    const renewed = await connect({ key: next, join: a.join });
    expect(renewed.welcome.self.nodeId).toBe(a.join.nodeId);
  });

  test('a rotation without proof of the new key, or to a used key, is refused', async () => {
    const { key } = await createNetworkWithKey(server, 'rk2');
    const a = await joinNode(server, key, 'a');
    const b = await joinNode(server, key, 'b');
    const ca = await connect(a);
    const forged = rekeyMessage(a);
    ca.client.send({ ...forged.msg, id: 'bad', signature: signDomain(a.key.privateKey, REKEY_DOMAIN, 'x') });
    expect((await ca.client.next('error', (e) => e.ref === 'bad')).code).toBe(ErrorCode.AuthFailed);
    // b's key: a node may not take another node's key.
    const stolen = {
      type: 'rekey',
      id: 'stolen',
      publicKey: b.key.publicKey,
      signature: signDomain(
        b.key.privateKey,
        REKEY_DOMAIN,
        rekeyPayload(a.join.nodeId, a.key.publicKey, b.key.publicKey),
      ),
    };
    ca.client.send(stolen);
    expect((await ca.client.next('error', (e) => e.ref === 'stolen')).code).toBe(ErrorCode.PublicKeyRejected);
    const node = await adminFetch<NodeSummary>(server, 'GET', `/api/v1/nodes/${a.join.nodeId}`);
    expect(node.body.publicKey).toBe(a.key.publicKey);
  });
});

describe('locked networks', () => {
  test('lock keys reach agents; only a valid operator signature over the current key is stored', async () => {
    const { key, network: net } = await createNetworkWithKey(server, 'locked');
    const a = await joinNode(server, key, 'a');
    const b = await joinNode(server, key, 'b');
    const cb = await connect(b);
    const operator = generateNodeKey();
    const locked = await adminFetch<NetworkSummary>(server, 'PUT', `/api/v1/networks/${net.id}/lock`, {
      keys: [operator.publicKey],
    });
    expect(locked.status).toBe(200);
    expect(locked.body.lockKeys).toEqual([operator.publicKey]);
    expect((await cb.client.next('config')).network?.lockKeys).toEqual([operator.publicKey]);
    expect((await connect(a)).welcome.network.lockKeys).toEqual([operator.publicKey]);

    // Signed by a key that is not a lock key: refused.
    const rogue = generateNodeKey();
    const payload = nodeKeyPayload(net.id, a.join.nodeId, a.key.publicKey);
    const bad = await adminFetch(server, 'PUT', `/api/v1/nodes/${a.join.nodeId}/key-signature`, {
      signature: signDomain(importPrivateKey(rogue.privateKey), NODE_KEY_DOMAIN, payload),
    });
    expect(bad.status).toBe(400);

    const signature = signDomain(operator.privateKey, NODE_KEY_DOMAIN, payload);
    const ok = await adminFetch<NodeSummary>(server, 'PUT', `/api/v1/nodes/${a.join.nodeId}/key-signature`, {
      signature,
    });
    expect(ok.status).toBe(200);
    expect(ok.body.keySignature).toBe(signature);
    expect(ok.body.keySigned).toBe(true);
    const other = await adminFetch<NodeSummary>(server, 'GET', `/api/v1/nodes/${b.join.nodeId}`);
    expect(other.body.keySigned).toBe(false);
    const update = await cb.client.next('peer-updated', (m) => m.peer.keySignature !== undefined);
    expect(update.peer.keySignature).toBe(signature);
  });

  test('lock disable: only an operator-signed disablement of the current keys is passed on to agents', async () => {
    const { key, network: net } = await createNetworkWithKey(server, 'lifted');
    const a = await joinNode(server, key, 'a');
    const ca = await connect(a);
    const operator = generateNodeKey();
    const rogue = generateNodeKey();
    const path = `/api/v1/networks/${net.id}/lock`;
    await adminFetch(server, 'PUT', path, { keys: [operator.publicKey] });
    await ca.client.next('config');
    for (const [body, why] of [
      [
        { keys: [], disablement: signLockDisablement(rogue.privateKey, net.id, [operator.publicKey]) },
        /not signed by a lock key/,
      ],
      [
        {
          keys: [],
          disablement: signLockDisablement(operator.privateKey, 'net-other', [operator.publicKey]),
        },
        /not signed/,
      ],
      [
        {
          keys: [operator.publicKey],
          disablement: signLockDisablement(operator.privateKey, net.id, [operator.publicKey]),
        },
        /with no keys/,
      ],
    ] as const) {
      const r = await adminFetch<{ error: { message: string } }>(server, 'PUT', path, body);
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(why);
    }
    const disablement = signLockDisablement(operator.privateKey, net.id, [operator.publicKey]);
    const lifted = await adminFetch<NetworkSummary>(server, 'PUT', path, { keys: [], disablement });
    expect(lifted.status).toBe(200);
    expect(lifted.body.lockKeys).toBeUndefined();
    expect(lifted.body.lockDisabled).toEqual(disablement);
    const cfg = await ca.client.next('config', (m) => m.network?.lockDisabled !== undefined);
    expect(cfg.network?.lockDisabled).toEqual(disablement);
    expect((await connect(await joinNode(server, key, 'b'))).welcome.network.lockDisabled).toEqual(
      disablement,
    );
    // Not locked any more: nothing to lift. Locked again: the old disablement is gone.
    const again = await adminFetch(server, 'PUT', path, { keys: [], disablement });
    expect(again.status).toBe(409);
    const relocked = await adminFetch<NetworkSummary>(server, 'PUT', path, { keys: [rogue.publicKey] });
    expect(relocked.body.lockDisabled).toBeUndefined();
  });

  test('lock keys must be Ed25519 public keys; signing needs a locked network', async () => {
    const { key, network: net } = await createNetworkWithKey(server, 'unlocked');
    const a = await joinNode(server, key, 'a');
    const notKey = await adminFetch(server, 'PUT', `/api/v1/networks/${net.id}/lock`, { keys: ['AAAA'] });
    expect(notKey.status).toBe(400);
    const notLocked = await adminFetch(server, 'PUT', `/api/v1/nodes/${a.join.nodeId}/key-signature`, {
      signature: Buffer.alloc(64).toString('base64'),
    });
    expect(notLocked.status).toBe(409);
    const anon = await fetch(`${server.url}/api/v1/networks/${net.id}/lock`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ keys: [] }),
    });
    expect(anon.status).toBe(401);
  });
});

describe('keys no private key stands behind', () => {
  // The identity point: with it as a public key, (R = identity, S = 0) verifies for any message.
  const identity = Buffer.from(`01${'00'.repeat(31)}`, 'hex').toString('base64');
  const forged = Buffer.concat([Buffer.from(`01${'00'.repeat(31)}`, 'hex'), Buffer.alloc(32)]).toString(
    'base64',
  );

  test('are refused at join, at rekey and as lock keys, with the reason', async () => {
    const { key, network: net } = await createNetworkWithKey(server, 'weak');
    const res = await fetch(`${server.url}/api/v1/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key, publicKey: identity, name: 'weak', agentVersion: 'test' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/small order/);

    const a = await joinNode(server, key, 'a');
    const ca = await connect(a);
    ca.client.send({ type: 'rekey', id: 'weak', publicKey: identity, signature: forged });
    const err = await ca.client.next('error', (e) => e.ref === 'weak');
    expect(err.code).toBe(ErrorCode.InvalidMessage);
    expect(err.message).toMatch(/small order/);
    const node = await adminFetch<NodeSummary>(server, 'GET', `/api/v1/nodes/${a.join.nodeId}`);
    expect(node.body.publicKey).toBe(a.key.publicKey);

    const lock = await adminFetch(server, 'PUT', `/api/v1/networks/${net.id}/lock`, { keys: [identity] });
    expect(lock.status).toBe(400);
  });
});
