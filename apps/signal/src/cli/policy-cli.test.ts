import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { tempDir } from '../testing/test-client.js';

// The CLI from source (tsx + the "source" export condition), as cli.test.ts runs it.
const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../../..');
const cliArgs = ['--conditions=source', '--import', 'tsx', join(repoRoot, 'apps/signal/src/cli.ts')];

let dir: ReturnType<typeof tempDir>;
let proc: ChildProcess | undefined;

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [...cliArgs, ...args], { cwd: repoRoot }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function serve(): Promise<void> {
  proc = spawn(process.execPath, [...cliArgs, 'serve', '--listen', '127.0.0.1:0', '--data', dir.path], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p = proc;
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('serve did not start in time')), 15_000);
    p.once('exit', (code) => fail(new Error(`serve exited early with ${code}`)));
    createInterface({ input: p.stdout! }).on('line', (line) => {
      if ((JSON.parse(line) as { msg?: string }).msg === 'listening') {
        clearTimeout(timer);
        ok();
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

test('policy set refuses an invalid file with every issue, stores a valid one, policy get prints it', async () => {
  await serve();
  expect((await cli('network', 'create', 'lab', '--mode', 'l3', '--data', dir.path)).code).toBe(0);
  const bad = join(dir.path, 'bad.json');
  writeFileSync(bad, JSON.stringify({ rules: [{ action: 'accept', src: ['group:x'], dst: ['tag:db'] }] }));
  const refused = await cli('policy', 'set', bad, '--network', 'lab', '--data', dir.path);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('rules[0].src[0]: group "group:x" is not defined');
  expect(refused.stderr).toContain('rules[0].dst[0]: "tag:db" needs ports');

  const good = join(dir.path, 'good.json');
  const doc = { rules: [{ action: 'accept', src: ['tag:admin'], dst: ['tag:db:22'], proto: 'tcp' }] };
  writeFileSync(good, JSON.stringify(doc));
  const set = await cli('policy', 'set', good, '--network', 'lab', '--data', dir.path);
  expect(set.stdout, set.stderr).toMatch(/version 1$/m);
  const again = await cli('policy', 'set', good, '--network', 'lab', '--data', dir.path);
  expect(again.stdout).toMatch(/version 2$/m);
  // A file that says which version it edited gets 409 when that is outdated.
  writeFileSync(good, JSON.stringify({ ...doc, version: 1 }));
  const stale = await cli('policy', 'set', good, '--network', 'lab', '--data', dir.path);
  expect(stale.code).toBe(1);
  expect(stale.stderr).toMatch(/changed meanwhile.*conflict/);
  const got = await cli('policy', 'get', '--network', 'lab', '--data', dir.path);
  expect(JSON.parse(got.stdout)).toEqual({ ...doc, version: 2 });
});
