import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import type { AuditEntry } from '@rtcmesh/protocol';
import { createTestPki } from '@rtcmesh/testkit';
import { afterEach, expect, test, vi } from 'vitest';
import { runCli as cli, ServeProcess } from '../testing/cli-runner.js';
import { tempDir } from '../testing/test-client.js';

// Every step spawns the CLI from source (tsx compiles it per process): seconds each on a loaded CI machine.
vi.setConfig({ testTimeout: 90_000 });

let dir: ReturnType<typeof tempDir>;
const server = new ServeProcess();

afterEach(async () => {
  await server.stop();
  dir.remove();
});

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
  const url = await server.start(['--data', data, '--tls-cert', cert.certFile, '--tls-key', cert.keyFile]);
  expect(url).toMatch(/^https:/);
  const port = Number(new URL(url).port);
  expect(await servedName(port, ca)).toBe('first');

  const renewed = pki.issue('second');
  copyFileSync(renewed.certFile, cert.certFile);
  copyFileSync(renewed.keyFile, cert.keyFile);
  server.proc!.kill('SIGHUP');
  await until(() => server.logs.some((l) => l.msg === 'TLS certificate reloaded'));
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
