import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, vi } from 'vitest';
import { runCli as cli, useServe } from './testing/cli-runner.js';

// Every step spawns the CLI from source (tsx compiles it per process): seconds each on a loaded CI machine.
vi.setConfig({ testTimeout: 90_000 });

const t = useServe();

test('serve + admin commands over the unix socket and over HTTP; SIGTERM exits cleanly', async () => {
  const url = await t.serve();
  const tokenFile = join(t.dir.path, 'admin-token');
  expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
  const token = readFileSync(tokenFile, 'utf8').trim();

  const net = await cli(
    'network',
    'create',
    'lab',
    '--mode',
    'l3',
    '--cidr',
    '10.77.0.0/24',
    '--data',
    t.dir.path,
  );
  expect(net).toMatchObject({ code: 0 });
  expect(net.stdout).toMatch(/network lab .* mode l3 cidr 10.77.0.0\/24/);

  const key = await cli(
    'key',
    'create',
    'lab',
    '--reusable',
    '--ttl',
    '24h',
    '--server',
    url,
    '--admin-token',
    token,
  );
  expect(key.code).toBe(0);
  const lastLine = key.stdout.trimEnd().split('\n').at(-1)!;
  expect(lastLine).toMatch(/^rtcmesh-key-[a-z0-9]{12}-\S+$/);

  const wrong = await cli('node', 'list', '--server', url, '--admin-token', 'nope');
  expect(wrong.code).toBe(1);
  expect(wrong.stderr).toMatch(/unauthorized/);

  // A node joins with the captured key; node list shows it, node remove removes it.
  const { generateNodeKey, signJoinRequest } = await import('@rtcmesh/protocol');
  const res = await fetch(`${url}/api/v1/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(
      signJoinRequest(generateNodeKey().privateKey, { key: lastLine, name: 'edge1', agentVersion: 't' }),
    ),
  });
  expect(res.status).toBe(200);
  const list = await cli('node', 'list', '--json', '--data', t.dir.path);
  const nodes = JSON.parse(list.stdout) as { name: string; addresses: string[] }[];
  expect(nodes).toMatchObject([
    { name: 'edge1', addresses: ['10.77.0.1/24', expect.stringMatching(/^fd[0-9a-f:]+::1\/64$/)] },
  ]);
  expect((await cli('node', 'rename', 'edge1', 'edge-01', '--data', t.dir.path)).stdout).toMatch(
    /is now edge-01/,
  );
  // Listings name the network next to its id.
  expect((await cli('key', 'list', '--data', t.dir.path)).stdout).toMatch(/ lab \([^)]+\) /);
  expect((await cli('node', 'remove', 'edge-01', '--data', t.dir.path)).stdout).toMatch(/removed/);
  expect(JSON.parse((await cli('node', 'list', '--json', '--data', t.dir.path)).stdout)).toEqual([]);
  expect((await cli('network', 'delete', 'lab', '--data', t.dir.path)).stdout).toMatch(
    /network lab \(.*\) deleted/,
  );

  const exited = new Promise<number | null>((r) => t.server.proc!.once('exit', (code) => r(code)));
  t.server.proc!.kill('SIGTERM');
  expect(await exited).toBe(0);
});

test('admin commands without a server say how to reach one', async () => {
  const r = await cli('node', 'list', '--data', t.dir.path);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/is "rtcmesh-signal serve --data .*" running\?/);
});
