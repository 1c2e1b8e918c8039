import {
  type AuditEntry,
  type CreateKeyResponse,
  generateNodeKey,
  type NodeSummary,
  POLICY_DOMAIN,
  type PolicyResponse,
  policyPayload,
  signDomain,
} from '@rtcmesh/protocol';
import { expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import { adminFetch, connectNode, joinNode } from '../testing/test-client.js';
import { useTestServer } from '../testing/use-test-server.js';

let server: SignalServer;
const clients = useTestServer(async (s) => {
  server = s;
  await adminFetch(server, 'POST', '/api/v1/networks', { name: 'alpha', mode: 'l3' });
});
const POLICY = '/api/v1/networks/alpha/policy';
const RULES = [{ action: 'accept', src: ['tag:admin'], dst: ['tag:db:22'], proto: 'tcp' }];

test('a network starts with an empty version-0 policy; PUT bumps the version, a stale version gets 409', async () => {
  const first = await adminFetch<PolicyResponse>(server, 'GET', POLICY);
  expect(first.body.policy).toEqual({ version: 0 });
  const put = await adminFetch<PolicyResponse>(server, 'PUT', POLICY, { version: 0, rules: RULES });
  expect(put.status).toBe(200);
  expect(put.body.policy).toMatchObject({ version: 1, rules: RULES });
  const stale = await adminFetch<{ error: { code: string; message: string } }>(server, 'PUT', POLICY, {
    version: 0,
    default: 'allow',
  });
  expect(stale.status).toBe(409);
  expect(stale.body.error.message).toMatch(/version 0.*has 1/);
  expect((await adminFetch<PolicyResponse>(server, 'GET', POLICY)).body.policy).toMatchObject({
    version: 1,
    rules: RULES,
  });
});

test('an invalid policy is refused with every issue and its path; nothing changes', async () => {
  const r = await adminFetch<{ error: { code: string }; issues: { path: string; message: string }[] }>(
    server,
    'PUT',
    POLICY,
    { version: 0, rules: [{ action: 'accept', src: ['group:x'], dst: ['tag:db'] }] },
  );
  expect(r.status).toBe(400);
  expect(r.body.issues.map((i) => i.path)).toEqual(['rules[0].src[0]', 'rules[0].dst[0]']);
  expect((await adminFetch<PolicyResponse>(server, 'GET', POLICY)).body.policy.version).toBe(0);
  const noVersion = await adminFetch<{ issues: { path: string }[] }>(server, 'PUT', POLICY, { rules: RULES });
  expect(noVersion.status).toBe(400);
  expect(noVersion.body.issues[0]?.path).toBe('version');
});

test('policy and tags reach sessions live and in welcome; changes are audited', async () => {
  const { body: key } = await adminFetch<CreateKeyResponse>(server, 'POST', '/api/v1/keys', {
    network: 'alpha',
    reusable: true,
  });
  const n1 = await joinNode(server, key.key, 'n1');
  const n2 = await joinNode(server, key.key, 'n2');
  const c1 = await connectNode(server, n1);
  clients.push(c1.client);
  expect(c1.welcome.policy).toBeUndefined();

  await adminFetch(server, 'PUT', POLICY, { version: 0, rules: RULES });
  const pushed = await c1.client.next('policy');
  expect(pushed.policy).toMatchObject({ version: 1, rules: RULES });

  const tagged = await adminFetch<NodeSummary>(server, 'PUT', `/api/v1/nodes/n2/tags`, {
    tags: ['tag:db', 'tag:admin'],
  });
  expect(tagged.body.tags).toEqual(['tag:admin', 'tag:db']);
  const upd = await c1.client.next('peer-updated', (m) => m.peer.nodeId === n2.join.nodeId);
  expect(upd.peer.tags).toEqual(['tag:admin', 'tag:db']);

  const c2 = await connectNode(server, n2);
  clients.push(c2.client);
  expect(c2.welcome.policy).toMatchObject({ version: 1 });
  expect(c2.welcome.self.tags).toEqual(['tag:admin', 'tag:db']);
  await adminFetch(server, 'PUT', `/api/v1/nodes/n2/tags`, { tags: [] });
  const cfg = await c2.client.next('config', (m) => m.self !== undefined);
  expect(cfg.self?.tags).toBeUndefined();

  const bad = await adminFetch(server, 'PUT', `/api/v1/nodes/n2/tags`, { tags: ['admin'] });
  expect(bad.status).toBe(400);

  const audit = await adminFetch<{ entries: AuditEntry[] }>(server, 'GET', '/api/v1/audit');
  const actions = audit.body.entries.map((e) => `${e.action} ${e.target} ${e.result}`);
  expect(actions).toContain(`policy.set ${c1.welcome.network.id} v1 ok`);
  expect(actions.filter((a) => a.startsWith('node.tags n2'))).toHaveLength(3);
});

test('the policy routes need the admin token', async () => {
  for (const method of ['GET', 'PUT']) {
    const res = await fetch(`${server.url}${POLICY}`, { method, body: method === 'PUT' ? '{}' : undefined });
    expect(res.status).toBe(401);
  }
  const res = await fetch(`${server.url}/api/v1/nodes/x/tags`, { method: 'PUT', body: '{}' });
  expect(res.status).toBe(401);
});

test('locked network: an operator signs the stored policy; the signature reaches sessions and a new document drops it', async () => {
  const operator = generateNodeKey();
  const other = generateNodeKey();
  const SIG = `${POLICY}/signature`;
  const { body: key } = await adminFetch<CreateKeyResponse>(server, 'POST', '/api/v1/keys', {
    network: 'alpha',
    reusable: true,
  });
  const c1 = await connectNode(server, await joinNode(server, key.key, 'n1'));
  clients.push(c1.client);
  const put = await adminFetch<PolicyResponse>(server, 'PUT', POLICY, { version: 0, rules: RULES });
  await c1.client.next('policy');
  const sign = (k: string, doc: unknown) =>
    signDomain(k, POLICY_DOMAIN, policyPayload(put.body.networkId, doc));

  const notLocked = await adminFetch(server, 'PUT', SIG, {
    version: 1,
    signature: sign(operator.privateKey, put.body.policy),
  });
  expect(notLocked.status).toBe(409);
  await adminFetch(server, 'PUT', '/api/v1/networks/alpha/lock', { keys: [operator.publicKey] });

  // A signature by another key, or of another document, is refused; one of an old version is 409.
  const byOther = await adminFetch<{ error: { message: string } }>(server, 'PUT', SIG, {
    version: 1,
    signature: sign(other.privateKey, put.body.policy),
  });
  expect(byOther.status).toBe(400);
  expect(byOther.body.error.message).toMatch(/not a signature of policy version 1/);
  const ofOther = await adminFetch(server, 'PUT', SIG, {
    version: 1,
    signature: sign(operator.privateKey, { ...put.body.policy, default: 'allow' }),
  });
  expect(ofOther.status).toBe(400);
  const stale = await adminFetch(server, 'PUT', SIG, {
    version: 7,
    signature: sign(operator.privateKey, put.body.policy),
  });
  expect(stale.status).toBe(409);

  const signature = sign(operator.privateKey, put.body.policy);
  const signed = await adminFetch<PolicyResponse>(server, 'PUT', SIG, { version: 1, signature });
  expect(signed.status).toBe(200);
  expect(signed.body.signature).toBe(signature);
  expect(await c1.client.next('policy', (m) => m.signature !== undefined)).toMatchObject({
    policy: { version: 1 },
    signature,
  });
  const c2 = await connectNode(server, await joinNode(server, key.key, 'n2'));
  clients.push(c2.client);
  expect(c2.welcome).toMatchObject({ policy: { version: 1 }, policySignature: signature });

  // An edit through the server is a new, unsigned document until an operator signs it again.
  await adminFetch(server, 'PUT', POLICY, { version: 1, rules: [] });
  const edited = await c1.client.next('policy', (m) => m.policy.version === 2);
  expect(edited.signature).toBeUndefined();
  expect((await adminFetch<PolicyResponse>(server, 'GET', POLICY)).body.signature).toBeUndefined();
});
