import { CSRF_HEADER } from '@rtcmesh/protocol';
import { describe, expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import { requireServices } from '../testing/services.js';
import { connectNode, joinNode } from '../testing/test-client.js';
import { useTwoInstances } from '../testing/two-instances.js';

/**
 * The console against two instances (one database, an in-process bus shared in this process):
 * sign-in sessions live in each instance's memory, so a sign-in on one must work on the other (a load
 * balancer may send the next request anywhere), and signing out or rotating the admin token on one
 * must end it everywhere at once; "test from this browser" must reach an agent on the other instance.
 */
const ready = await requireServices({ pg: true });
const TOKEN = 'console-cluster-token';

async function signIn(s: SignalServer): Promise<string> {
  const res = await fetch(`${s.url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CSRF_HEADER]: '1' },
    body: JSON.stringify({ token: TOKEN }),
  });
  expect(res.status).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

const nodes = async (s: SignalServer, cookie: string): Promise<number> =>
  (await fetch(`${s.url}/api/v1/nodes`, { headers: { cookie } })).status;

async function until(cond: () => Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.runIf(ready)('console sessions across two instances', () => {
  const { servers } = useTwoInstances('console', { server: { adminToken: TOKEN } });

  test('a browser signed in on one instance links to an agent on the other', async () => {
    const [a, b] = servers as [SignalServer, SignalServer];
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    await fetch(`${a.url}/api/v1/networks`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'bl', mode: 'l2' }),
    });
    const keyRes = await fetch(`${a.url}/api/v1/keys`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ network: 'bl', reusable: true }),
    });
    const { key } = (await keyRes.json()) as { key: string };
    const node = await joinNode(b, key, 'agent');
    const agent = (await connectNode(b, node)).client;
    try {
      await until(async () => a.cluster.isOnline(node.join.nodeId));
      const cookie = await signIn(a);
      await until(async () => b.cluster.isOnline(node.join.nodeId) && (await nodes(b, cookie)) === 200);
      const pending = fetch(`${a.url}/api/v1/nodes/${node.join.nodeId}/browser-link`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, [CSRF_HEADER]: '1' },
        body: JSON.stringify({ sdp: 'v=0 browser offer' }),
      });
      const got = await agent.next('browser-signal');
      expect(got.data).toMatchObject({ description: { type: 'offer', sdp: 'v=0 browser offer' } });
      agent.send({
        type: 'browser-signal',
        linkId: got.linkId,
        data: { kind: 'description', description: { type: 'answer', sdp: 'v=0 agent answer' } },
      });
      const res = await pending;
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ linkId: got.linkId, sdp: 'v=0 agent answer' });
    } finally {
      agent.close();
    }
  });

  test('a sign-in works on both instances; sign-out and token rotation end it on both', async () => {
    const [a, b] = servers as [SignalServer, SignalServer];
    const first = await signIn(a);
    await until(async () => (await nodes(b, first)) === 200);
    const out = await fetch(`${b.url}/api/v1/session`, {
      method: 'DELETE',
      headers: { cookie: first, [CSRF_HEADER]: '1' },
    });
    expect(out.status).toBe(200);
    await until(async () => (await nodes(a, first)) === 401);

    const second = await signIn(b);
    await until(async () => (await nodes(a, second)) === 200);
    const rotated = await fetch(`${a.url}/api/v1/admin/rotate-token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(rotated.status).toBe(200);
    await until(async () => (await nodes(b, second)) === 401);
    // The old token is refused on both at once (they read the one database).
    const old = await fetch(`${b.url}/api/v1/nodes`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(old.status).toBe(401);
  });
});
