// Cost of the end-to-end security features: signing/verifying a description's DTLS fingerprints
// (every offer/answer), verifying an operator's node-key signature (every peer update in a locked
// network), and a full `rtcmesh rekey` round trip against a real signaling server on loopback.
// Run: npx tsx bench/security/keys.ts   (writes bench/results/security.json)
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeyRotation } from '../../apps/agent/src/agent/key-rotation.js';
import { ControlClient } from '../../apps/agent/src/control/control-client.js';
import { joinNetwork } from '../../apps/agent/src/control/join.js';
import { LinkAuthenticator } from '../../apps/agent/src/links/link-auth.js';
import { StateDir } from '../../apps/agent/src/state/state-dir.js';
import { startSignalServer } from '../../apps/signal/src/index.js';
import {
  exportPublicKey,
  generateNodeKey,
  NODE_KEY_DOMAIN,
  nodeKeyPayload,
  type SignalData,
  signDomain,
  signJoinRequest,
  verifyNodeKeySignature,
} from '../../packages/protocol/src/index.js';
import { median, round } from '../compare/stats.js';

const here = dirname(fileURLToPath(import.meta.url));

function opsPerSecond(n: number, fn: () => void): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return n / ((performance.now() - t0) / 1000);
}

const key = generateKeyPairSync('ed25519');
const pub = exportPublicKey(key.publicKey);
const a = new LinkAuthenticator('n-a', () => key.privateKey);
const b = new LinkAuthenticator('n-b', () => key.privateKey);
const fp = Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, '0').toUpperCase()).join(
  ':',
);
const offer: SignalData = {
  kind: 'description',
  gen: 'g1',
  description: {
    type: 'offer',
    sdp: `v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=fingerprint:sha-256 ${fp}\r\na=setup:actpass\r\n`,
  },
};
const signed = a.sign('n-b', offer);
const signPerS = opsPerSecond(2000, () => a.sign('n-b', offer));
const verifyPerS = opsPerSecond(2000, () => b.verify('n-a', pub, signed));
const op = generateNodeKey();
const sig = signDomain(op.privateKey, NODE_KEY_DOMAIN, nodeKeyPayload('net', 'n-a', pub));
const lockVerifyPerS = opsPerSecond(2000, () =>
  verifyNodeKeySignature([op.publicKey], 'net', 'n-a', pub, sig),
);

// Rekey round trips against a real server on loopback.
const dir = mkdtempSync(join(tmpdir(), 'rtcmesh-bench-sec-'));
const server = await startSignalServer({
  dataDir: join(dir, 'data'),
  port: 0,
  logLevel: 'silent',
  defaultMetrics: false,
  consoleDir: null,
});
await server.controlPlane.createNetwork({ name: 'bench', mode: 'l3' });
const joinKey = (await server.controlPlane.createKey({ network: 'bench', reusable: true })).key;
const state = new StateDir(join(dir, 'agent'));
const nodeKey = await state.loadOrCreateKey();
const joined = await joinNetwork(
  server.url,
  signJoinRequest(nodeKey.privateKey, { key: joinKey, name: 'bench', agentVersion: 'bench' }),
);
const client = new ControlClient({
  serverUrls: [server.url],
  nodeId: joined.nodeId,
  privateKey: nodeKey.privateKey,
  agentVersion: 'bench',
  logger: server.parts.log,
});
const welcomed = new Promise((r) => client.once('welcome', r));
client.start();
await welcomed;
const rotation = new KeyRotation(joined.nodeId, client, state, server.parts.log);
const rekeyMs: number[] = [];
for (let i = 0; i < 20; i++) {
  const t0 = performance.now();
  await rotation.rotate();
  rekeyMs.push(performance.now() - t0);
}
await client.stop();
await server.close();
rmSync(dir, { recursive: true, force: true });

const result = {
  date: new Date().toISOString(),
  node: process.version,
  descriptionSignPerSecond: Math.round(signPerS),
  descriptionVerifyPerSecond: Math.round(verifyPerS),
  nodeKeySignatureVerifyPerSecond: Math.round(lockVerifyPerS),
  rekeyRoundTripMs: {
    median: round(median(rekeyMs), 2),
    max: round(Math.max(...rekeyMs), 2),
    samples: rekeyMs.length,
  },
};
console.log(
  `description signing: ${result.descriptionSignPerSecond}/s, verifying: ${result.descriptionVerifyPerSecond}/s (one of each per offer/answer)`,
);
console.log(`node-key signature checks (locked networks): ${result.nodeKeySignatureVerifyPerSecond}/s`);
console.log(
  `rtcmesh rekey round trip (write pending key, server commit, rename): median ${result.rekeyRoundTripMs.median} ms, max ${result.rekeyRoundTripMs.max} ms`,
);
mkdirSync(join(here, '../results'), { recursive: true });
writeFileSync(join(here, '../results/security.json'), `${JSON.stringify(result, null, 2)}\n`);
