import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { tempDir } from './testing/test-client.js';

// Runs the CLI from source (tsx + the "source" export condition), so no build is needed.
const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../..');
const cliArgs = ['--conditions=source', '--import', 'tsx', join(repoRoot, 'apps/signal/src/cli.ts')];

let dir: ReturnType<typeof tempDir>;
let proc: ChildProcess | undefined;

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...cliArgs, ...args], { cwd: repoRoot }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Starts `serve` and resolves with the bound URL from its "listening" JSON log line. */
function serve(): Promise<string> {
  proc = spawn(process.execPath, [...cliArgs, 'serve', '--listen', '127.0.0.1:0', '--data', dir.path], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p = proc;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('serve did not print its listening line in time')),
      15_000,
    );
    p.once('exit', (code) => reject(new Error(`serve exited early with ${code}`)));
    createInterface({ input: p.stdout! }).on('line', (line) => {
      const log = JSON.parse(line) as { msg?: string; url?: string };
      if (log.msg === 'listening' && log.url) {
        clearTimeout(timer);
        resolve(log.url);
      }
    });
  });
}

beforeEach(() => {
  dir = tempDir();
});

afterEach(async () => {
  if (proc && proc.exitCode === null) {
    const exited = new Promise((r) => proc!.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
  dir.remove();
});

test('serve + admin commands over the unix socket and over HTTP; SIGTERM exits cleanly', async () => {
  const url = await serve();
  const tokenFile = join(dir.path, 'admin-token');
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
    dir.path,
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
  const { generateNodeKey } = await import('@rtcmesh/protocol');
  const res = await fetch(`${url}/api/v1/join`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      key: lastLine,
      publicKey: generateNodeKey().publicKey,
      name: 'edge1',
      agentVersion: 't',
    }),
  });
  expect(res.status).toBe(200);
  const list = await cli('node', 'list', '--json', '--data', dir.path);
  const nodes = JSON.parse(list.stdout) as { name: string; addresses: string[] }[];
  expect(nodes).toMatchObject([{ name: 'edge1', addresses: ['10.77.0.1/24'] }]);
  expect((await cli('node', 'remove', 'edge1', '--data', dir.path)).stdout).toMatch(/removed/);
  expect(JSON.parse((await cli('node', 'list', '--json', '--data', dir.path)).stdout)).toEqual([]);

  const exited = new Promise<number | null>((r) => proc!.once('exit', (code) => r(code)));
  proc!.kill('SIGTERM');
  expect(await exited).toBe(0);
});

test('admin commands without a server say how to reach one', async () => {
  const r = await cli('node', 'list', '--data', dir.path);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/is "rtcmesh-signal serve --data .*" running\?/);
});
