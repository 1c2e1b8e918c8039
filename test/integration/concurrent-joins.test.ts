import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type SignalServer, startSignalServer } from '../../apps/signal/src/index.js';
import { dropSchema, freshSchema, requireServices, TEST_PG } from '../../apps/signal/src/testing/services.js';
import { type JoinResponse, signJoinRequest } from '../../packages/protocol/src/index.js';

/**
 * Address allocation across instances: two servers on one PostgreSQL database take 200 joins at the
 * same time (100 each) and hand out 200 distinct addresses, names and MACs; a single-use key raced
 * on both is used exactly once.
 */
const ready = await requireServices({ pg: true });
const TOKEN = 'joins-admin-token';
const schema = freshSchema('joins');
const dir = mkdtempSync(join(tmpdir(), 'rtcmesh-joins-'));
const servers: SignalServer[] = [];

function privateKey(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

async function post(server: SignalServer, path: string, body: unknown, admin = false): Promise<Response> {
  return fetch(`${server.url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(admin ? { authorization: `Bearer ${TOKEN}` } : {}) },
    body: JSON.stringify(body),
  });
}

describe.runIf(ready)('joins racing on two instances of one database', () => {
  beforeAll(async () => {
    for (const name of ['a', 'b']) {
      servers.push(
        await startSignalServer({
          dataDir: join(dir, name),
          port: 0,
          logLevel: 'silent',
          adminSocket: false,
          consoleDir: null,
          defaultMetrics: false,
          adminToken: TOKEN,
          joinRatePerMinute: 0,
          database: TEST_PG,
          postgres: { schema, poolSize: 8 },
        }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) await s.close();
    rmSync(dir, { recursive: true, force: true });
    await dropSchema(schema);
  });

  test('200 concurrent joins across both instances get 200 distinct addresses, names and MACs', async () => {
    const [a, b] = servers as [SignalServer, SignalServer];
    expect(
      (await post(a, '/networks', { name: 'race', mode: 'l2', cidr: '10.60.0.0/24' }, true)).status,
    ).toBe(201);
    const { key } = (await (await post(b, '/keys', { network: 'race', reusable: true }, true)).json()) as {
      key: string;
    };
    const keys = Array.from({ length: 200 }, privateKey);
    const answers = await Promise.all(
      keys.map(async (k, i) => {
        const res = await post(
          i % 2 === 0 ? a : b,
          '/join',
          signJoinRequest(k, { key, name: 'host', agentVersion: 't' }),
        );
        expect(res.status).toBe(200);
        return (await res.json()) as JoinResponse;
      }),
    );
    const addresses = answers.map((r) => r.addresses[0]);
    expect(new Set(addresses).size).toBe(200);
    expect(new Set(answers.map((r) => r.name)).size).toBe(200);
    expect(new Set(answers.map((r) => r.mac)).size).toBe(200);
    expect(new Set(answers.map((r) => r.nodeId)).size).toBe(200);
    for (const addr of addresses) expect(addr).toMatch(/^10\.60\.0\.\d+\/24$/);
    const listed = (await (
      await fetch(`${b.url}/api/v1/nodes?network=race`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { nodes: { addresses: string[] }[] };
    expect(new Set(listed.nodes.flatMap((n) => n.addresses)).size).toBe(200);
  }, 60_000);

  test('a single-use key raced on both instances is used exactly once', async () => {
    const [a, b] = servers as [SignalServer, SignalServer];
    const { key } = (await (await post(a, '/keys', { network: 'race' }, true)).json()) as { key: string };
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post(
          i % 2 === 0 ? a : b,
          '/join',
          signJoinRequest(privateKey(), { key, name: 'once', agentVersion: 't' }),
        ),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(19).fill(403)]);
  }, 60_000);
});
