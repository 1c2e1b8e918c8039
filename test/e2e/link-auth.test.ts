import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { labSkipReason } from '../lab/index.js';
import { useMeshLab } from './fixture.js';
import { type StatusJson, waitFor } from './mesh-lab.js';

/**
 * Issue 7: the signaling path cannot man-in-the-middle a link. Two agents talk to the server through
 * a proxy that rewrites the DTLS fingerprints in every relayed SDP (what an attacker who controls
 * signaling must do to interpose). Both agents refuse the link, say why, and no packet crosses; when
 * the proxy turns honest, the very same agents link up.
 */
const PROXY = join(dirname(fileURLToPath(import.meta.url)), 'tools/tampering-proxy.ts');
const PROXY_PORT = 9443;
const skip = await labSkipReason();

type Peer = StatusJson['peers'][number] & { refused?: string | null };

describe.skipIf(skip !== undefined)('link authentication', { timeout: 180_000 }, () => {
  const lab = useMeshLab({
    world: {
      sites: {
        a: { nat: 'cone', hosts: ['a1'] },
        b: { nat: 'cone', hosts: ['b1'] },
      },
    },
    network: { mode: 'l3', cidr: '10.95.0.0/24' },
    agents: [],
    fullMeshTimeoutMs: false,
  });

  test('agents refuse descriptions whose fingerprints were swapped on the way', async () => {
    const mesh = lab();
    const server = mesh.world.server;
    const proxy = server.spawnScript(PROXY, [server.ip, String(PROXY_PORT), mesh.serverUrl], {
      label: 'tampering-proxy',
    });
    try {
      await proxy.waitForLine(/"event":"listening"/, 20_000);
      const viaProxy = `http://${server.ip}:${PROXY_PORT}`;
      const a1 = await mesh.startAgent('a1', { serverUrl: viaProxy });
      const b1 = await mesh.startAgent('b1', { serverUrl: viaProxy });
      await proxy.waitForLine(/"event":"tampered"/, 20_000);
      const refused = (await waitFor(
        'a1 to refuse b1',
        async () => {
          const p = (await a1.status()).peers.find((x) => x.name === 'b1') as Peer | undefined;
          return p?.refused ? p : undefined;
        },
        20_000,
      )) as Peer;
      expect(refused.refused).toMatch(/fingerprints differ from the ones the peer signed/);
      expect(refused.state).not.toBe('connected');
      expect((await a1.ping(await b1.address(), 3)).received).toBe(0);
      expect(a1.process.output()).toMatch(/"msg":"link refused"/);

      proxy.signal('SIGUSR1');
      await proxy.waitForLine(/"event":"honest"/, 5000);
      await a1.waitConnected('b1', 60_000);
      expect((await a1.ping(await b1.address(), 3)).received).toBeGreaterThanOrEqual(2);
    } finally {
      await proxy.stop(3000);
    }
  });
});
