import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { labSkipReason } from '../lab/index.js';
import { useMeshLab } from './fixture.js';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Issue 19: rtcmesh installed like real software. `npm run package` packs the agent and the server;
 * both tarballs are installed with `npm i -g` into an empty prefix, offline (no registry, no source
 * tree), and the lab runs the installed `rtcmesh-signal` and `rtcmesh`: two agents at two sites join,
 * link, and reach each other by name.
 */
const skip = await labSkipReason();
describe.skipIf(skip !== undefined)('packed install', { timeout: 300_000 }, () => {
  const bins = { signal: '', agent: '' };
  let prefix = '';

  beforeAll(async () => {
    await run('node', [join(ROOT, 'scripts/package.mjs')], { cwd: ROOT, timeout: 240_000 });
    prefix = await mkdtemp(join(tmpdir(), 'rtm-prefix-'));
    const tarballs = ['rtcmesh-agent', 'rtcmesh-signal'].map((n) =>
      join(ROOT, `dist/packages/${n}-0.1.0.tgz`),
    );
    // From an unrelated directory, offline: everything comes from the tarballs.
    await run(
      'npm',
      ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', ...tarballs],
      {
        cwd: tmpdir(),
        timeout: 240_000,
      },
    );
    bins.signal = join(prefix, 'bin/rtcmesh-signal');
    bins.agent = join(prefix, 'bin/rtcmesh');
  }, 300_000);
  afterAll(async () => {
    if (prefix) await rm(prefix, { recursive: true, force: true });
  });

  const lab = useMeshLab({
    world: { sites: { a: { nat: 'cone', hosts: ['a1'] }, b: { nat: 'cone', hosts: ['b1'] } } },
    network: { mode: 'l3', cidr: '10.99.0.0/24' },
    bins,
    agents: ['a1', 'b1'],
  });

  test('the installed commands run from the prefix, not the source tree', async () => {
    for (const bin of [bins.agent, bins.signal]) {
      const real = await realpath(bin);
      expect(real.startsWith(`${await realpath(prefix)}/`)).toBe(true);
      const { stdout } = await run(bin, ['--version'], { cwd: '/' });
      expect(stdout.trim()).toBe('0.1.0');
    }
  });

  test('two agents installed from the tarballs link and reach each other by name, over IPv4 and IPv6', async () => {
    const mesh = lab();
    const a1 = mesh.agent('a1');
    const status = await a1.status();
    expect(status.peers.find((p) => p.name === 'b1')?.state).toBe('connected');
    expect(status.dns?.zone).toBe('lab.rtcmesh.internal');
    const dir = `/etc/netns/${a1.host.ns}`;
    await mkdir(dir, { recursive: true });
    await writeFile(`${dir}/resolv.conf`, `nameserver ${status.dns!.listen.split(':')[0]}\n`);
    try {
      const r = await a1.host.exec(
        'ping',
        ['-4', '-n', '-c', '3', '-i', '0.2', '-W', '2', 'b1.lab.rtcmesh.internal'],
        {
          timeoutMs: 15_000,
        },
      );
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`(${await mesh.agent('b1').address()})`);
      // And over IPv6: the L3 network is dual-stack, the name has an AAAA record.
      const r6 = await a1.host.exec(
        'ping',
        ['-6', '-n', '-c', '3', '-i', '0.2', '-W', '2', 'b1.lab.rtcmesh.internal'],
        { timeoutMs: 15_000 },
      );
      expect(r6.code, r6.stdout + r6.stderr).toBe(0);
      expect(r6.stdout).toContain(`(${await mesh.agent('b1').address6()})`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // The installed server serves the console it carries.
    const page = await mesh.world.server.exec('node', [
      '-e',
      `fetch(${JSON.stringify(`${mesh.serverUrl}/`)}).then(async (r) => process.stdout.write(r.status + ' ' + (await r.text()).slice(0, 200)))`,
    ]);
    expect(page.stdout).toMatch(/^200 <!doctype html>/i);
  });
});
