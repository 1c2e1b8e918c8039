import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { registerServeCommand } from '../../apps/signal/src/cli/serve-command.js';

/**
 * The container files are not built here (no container runtime on the CI machine); what they ask of
 * rtcmesh is checked instead, so they cannot drift from it: every flag they give `rtcmesh-signal
 * serve` is one it takes, the tarball the image installs is the one `npm run package` writes, and the
 * steps inside the image are the ones the packed-install lab test runs (pack, `npm install -g
 * --offline` into an empty prefix, serve).
 */
const ROOT = join(import.meta.dirname, '../..');

function serveOptions(): Set<string> {
  const program = new Command();
  registerServeCommand(program);
  const serve = program.commands.find((c) => c.name() === 'serve');
  if (!serve) throw new Error('no serve command');
  return new Set(serve.options.map((o) => o.long).filter((l): l is string => l !== undefined));
}

function flagsOf(args: readonly string[]): string[] {
  return args.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!);
}

type Compose = { services: Record<string, { image?: string; build?: unknown; command?: string[] }> };

describe('container files', () => {
  test('every serve flag the compose files pass is one rtcmesh-signal serve takes', async () => {
    const known = serveOptions();
    let checked = 0;
    for (const file of ['compose.yaml', 'compose.cluster.yaml']) {
      const doc = parse(await readFile(join(ROOT, 'contrib/docker', file), 'utf8')) as Compose;
      for (const [name, svc] of Object.entries(doc.services)) {
        if (!svc.command || (svc.image && !svc.image.startsWith('rtcmesh-signal') && !svc.build)) continue;
        if (svc.command[0] !== 'serve') continue;
        for (const flag of flagsOf(svc.command)) expect(known, `${file} ${name} ${flag}`).toContain(flag);
        checked++;
      }
    }
    // signal (compose.yaml), signal and signal-b (compose.cluster.yaml).
    expect(checked).toBe(3);
  });

  test('the Dockerfile installs the tarball npm run package writes and serves with known flags', async () => {
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    const packer = await readFile(join(ROOT, 'scripts/package.mjs'), 'utf8');
    expect(dockerfile).toContain('node scripts/package.mjs');
    expect(packer).toMatch(/`\$\{app\.name\}-\$\{manifest\.version\}\.tgz`/);
    expect(dockerfile).toMatch(/dist\/packages\/rtcmesh-signal-\*\.tgz/);
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    const args = JSON.parse(cmd ?? '[]') as string[];
    expect(args[0]).toBe('serve');
    const known = serveOptions();
    for (const flag of flagsOf(args)) expect(known).toContain(flag);
    // The runtime image's Node is the builder's: the native modules in the tarball fit it.
    const froms = [...dockerfile.matchAll(/^FROM node:(\d+)-/gm)].map((m) => m[1]);
    expect(new Set(froms).size).toBe(1);
  });
});
