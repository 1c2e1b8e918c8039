import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import type { AuditEntry } from '@rtcmesh/protocol';
import { createTestPki } from '@rtcmesh/testkit';
import { afterEach, expect, test } from 'vitest';
import { tempDir } from '../testing/test-client.js';

// The CLI from source, as in cli.test.ts.
const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../../..');
const cliArgs = ['--conditions=source', '--import', 'tsx', join(repoRoot, 'apps/signal/src/cli.ts')];

let dir: ReturnType<typeof tempDir>;
let proc: ChildProcess | undefined;

afterEach(async () => {
  if (proc && proc.exitCode === null) {
    const exited = new Promise((r) => proc!.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
  dir.remove();
});

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [...cliArgs, ...args], { cwd: repoRoot }, (err, stdout, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Starts `serve` with `args`; resolves with the bound URL; every JSON log line goes to `logs`. */
function serve(args: string[], logs: { msg?: string }[]): Promise<string> {
  proc = spawn(process.execPath, [...cliArgs, 'serve', '--listen', '127.0.0.1:0', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p = proc;
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('serve did not print its listening line in time')), 15_000);
    p.once('exit', (code) => fail(new Error(`serve exited early with ${code}`)));
    createInterface({ input: p.stdout! }).on('line', (line) => {
      const log = JSON.parse(line) as { msg?: string; url?: string };
      logs.push(log);
      if (log.msg === 'listening' && log.url) {
        clearTimeout(timer);
        ok(log.url);
      }
    });
  });
}

function servedName(port: number, ca: Buffer): Promise<string> {
  return new Promise((ok, fail) => {
    const s = connect({ host: '127.0.0.1', port, ca }, () => {
      ok(String(s.getPeerCertificate().subject.CN));
      s.end();
    });
    s.on('error', fail);
  });
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('serve --tls-cert/--tls-key serves HTTPS, SIGHUP reloads the certificate; rotate-token and audit list work', async () => {
  dir = tempDir();
  const pki = createTestPki(dir.path);
  const ca = readFileSync(pki.caFile);
  const cert = pki.issue('first');
  const data = join(dir.path, 'data');
  const logs: { msg?: string }[] = [];
  const url = await serve(['--data', data, '--tls-cert', cert.certFile, '--tls-key', cert.keyFile], logs);
  expect(url).toMatch(/^https:/);
  const port = Number(new URL(url).port);
  expect(await servedName(port, ca)).toBe('first');

  const renewed = pki.issue('second');
  copyFileSync(renewed.certFile, cert.certFile);
  copyFileSync(renewed.keyFile, cert.keyFile);
  proc!.kill('SIGHUP');
  await until(() => logs.some((l) => l.msg === 'TLS certificate reloaded'));
  expect(await servedName(port, ca)).toBe('second');

  const rotated = await cli('admin', 'rotate-token', '--data', data);
  expect(rotated.code).toBe(0);
  const token = rotated.stdout.trim().split('\n').at(-1)!;
  expect(token).toMatch(/^rta_/);
  expect(readFileSync(join(data, 'admin-token'), 'utf8').trim()).toBe(token);
  const audit = await cli('audit', 'list', '--data', data, '--json');
  expect(audit.code).toBe(0);
  const entries = JSON.parse(audit.stdout) as AuditEntry[];
  expect(entries[0]).toMatchObject({ action: 'admin.rotate-token', actor: 'local socket', result: 'ok' });

  // Remote admin over HTTPS with the private CA; without it the certificate is refused.
  const remote = ['--server', url, '--admin-token', token];
  const viaHttps = await cli(
    'network',
    'create',
    'alpha',
    '--mode',
    'l2',
    ...remote,
    '--ca-file',
    pki.caFile,
  );
  expect(viaHttps.stderr).toBe('');
  expect(viaHttps.stdout).toContain('network alpha');
  const untrusted = await cli('network', 'list', ...remote);
  expect(untrusted.code).not.toBe(0);
  expect(untrusted.stderr).toMatch(/certificate/);
}, 60_000); // eight CLI processes (tsx start-up each): slow on a loaded machine

test('serve refuses half a TLS configuration and bad --trust-proxy entries', async () => {
  dir = tempDir();
  const half = await cli('serve', '--data', dir.path, '--tls-cert', 'x.pem');
  expect(half.code).not.toBe(0);
  expect(half.stderr).toContain('--tls-cert and --tls-key go together');
  const proxy = await cli(
    'serve',
    '--data',
    dir.path,
    '--listen',
    '127.0.0.1:0',
    '--trust-proxy',
    'proxy.lan',
  );
  expect(proxy.code).not.toBe(0);
  expect(proxy.stderr).toContain('"proxy.lan" is not an IP address or CIDR');
}, 60_000);
