import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestPki } from '@rtcmesh/testkit';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ControlClient } from '../../apps/agent/src/control/control-client.js';
import { joinNetwork } from '../../apps/agent/src/control/join.js';
import { loadCaFile } from '../../apps/agent/src/control/tls-trust.js';
import { type SignalServer, startSignalServer } from '../../apps/signal/src/index.js';
import { signJoinRequest } from '../../packages/protocol/src/index.js';

/**
 * The agent's real join and control session against the real signaling server serving TLS from a
 * private CA: with `--ca-file` it joins and gets its welcome over WSS; without it, it is refused with
 * a message that names the unknown CA.
 */
let dir: string;
let server: SignalServer;
let ca: Buffer;
let joinKey: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rtcmesh-tls-int-'));
  const pki = createTestPki(dir);
  ca = loadCaFile(pki.caFile);
  const { certFile, keyFile } = pki.issue('signal');
  server = await startSignalServer({
    dataDir: join(dir, 'data'),
    port: 0,
    logLevel: 'silent',
    defaultMetrics: false,
    consoleDir: null,
    tls: { certFile, keyFile },
  });
  await server.controlPlane.createNetwork({ name: 'alpha', mode: 'l3' });
  joinKey = (await server.controlPlane.createKey({ network: 'alpha', reusable: true })).key;
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('an agent with --ca-file joins over HTTPS and authenticates over WSS; without it the CA is named as the problem', async () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const request = signJoinRequest(privateKey, { key: joinKey, name: 'web', agentVersion: 't' });
  await expect(joinNetwork(server.url, request)).rejects.toMatchObject({
    code: 'tls-certificate',
    message: expect.stringMatching(/unknown CA/),
  });
  const joined = await joinNetwork(server.url, request, { ca });
  expect(joined.network.name).toBe('alpha');

  const control = new ControlClient({
    serverUrls: [server.url],
    nodeId: joined.nodeId,
    privateKey,
    agentVersion: 't',
    // The server's own (silent) pino logger: this package does not depend on pino itself.
    logger: server.parts.log,
    ca,
  });
  const welcome = new Promise((resolve) => control.once('welcome', resolve));
  control.start();
  await expect(welcome).resolves.toMatchObject({ self: { nodeId: joined.nodeId } });
  await control.stop();
});
