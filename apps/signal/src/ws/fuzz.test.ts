import { CLIENT_MESSAGE_TYPES, type CreateKeyResponse } from '@rtcmesh/protocol';
import fc from 'fast-check';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { SignalServer } from '../server.js';
import {
  adminFetch,
  connectNode,
  joinNode,
  startTestServer,
  type TestNode,
  tempDir,
} from '../testing/test-client.js';

let dir: ReturnType<typeof tempDir>;
let server: SignalServer;
let nodes: TestNode[];

beforeEach(async () => {
  dir = tempDir();
  server = await startTestServer(dir.path, { rateLimitPerSecond: 100_000, rateLimitBurst: 100_000 });
  await adminFetch(server, 'POST', '/api/v1/networks', { name: 'alpha', mode: 'l3' });
  const key = await adminFetch<CreateKeyResponse>(server, 'POST', '/api/v1/keys', {
    network: 'alpha',
    reusable: true,
  });
  nodes = [await joinNode(server, key.body.key, 'a'), await joinNode(server, key.body.key, 'b')];
});

afterEach(async () => {
  await server.close();
  dir.remove();
});

// Seeded so a failure reproduces; the bench-sized run belongs to the security work (issue 7).
test('random and half-valid messages never break a session or the server', async () => {
  const { client: a } = await connectNode(server, nodes[0]!);
  const { client: b } = await connectNode(server, nodes[1]!);
  const halfValid = fc.record(
    {
      type: fc.constantFrom(...CLIENT_MESSAGE_TYPES),
      id: fc.oneof(fc.string(), fc.integer()),
      to: fc.oneof(fc.constant(nodes[1]!.join.nodeId), fc.string()),
      data: fc.anything(),
      links: fc.anything(),
      routes: fc.array(
        fc.record({
          prefix: fc.oneof(
            fc.ipV4().map((ip) => `${ip}/24`),
            fc.string(),
          ),
          seq: fc.integer(),
        }),
      ),
      bindings: fc.anything(),
      event: fc.anything(),
      ts: fc.anything(),
    },
    { requiredKeys: ['type'] },
  );
  const inputs = fc.sample(
    fc.oneof(
      fc.string(),
      fc.json(),
      halfValid.map((m) => JSON.stringify(m)),
    ),
    { numRuns: 400, seed: 7 },
  );
  for (const input of inputs) a.send(input);
  a.send({ type: 'ping', ts: 42 });
  expect((await a.next('pong', (m) => m.ts === 42, 10_000)).ts).toBe(42);
  // Everything was answered or handled; nothing internal leaked out.
  expect(a.all('error').filter((e) => e.code === 'internal')).toEqual([]);
  b.send({ type: 'ping', ts: 1 });
  expect((await b.next('pong')).ts).toBe(1);
  a.close();
  b.close();
});
