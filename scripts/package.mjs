#!/usr/bin/env node
// npm run package: self-contained tarballs of the agent and the server in dist/packages/, for
//   npm i -g dist/packages/rtcmesh-agent-<version>.tgz      (the `rtcmesh` command)
//   npm i -g dist/packages/rtcmesh-signal-<version>.tgz     (the `rtcmesh-signal` command)
// Each tarball carries its whole dependency tree (workspace packages and npm packages, native
// addons built here) under app/, so installing it needs neither the source tree nor the registry.
// The native addons (netdev, node-datachannel, better-sqlite3) are for the platform and Node ABI they
// were packed on: pack on the kind of host you install to. Run `pnpm run build` first.
//
// Why app/ and not bundleDependencies: npm re-filters bundled packages when it installs them (zod
// lost its index.js) and `npm pack` gives up on a hoisted tree ("Exit handler never called"). A
// tree under app/ is plain files to npm; Node resolves app/dist's imports from app/node_modules.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const out = join(root, 'dist/packages');
const APPS = [
  {
    filter: '@rtcmesh/agent',
    dir: 'apps/agent',
    name: 'rtcmesh-agent',
    description: 'rtcmesh agent: joins a host to an rtcmesh overlay network (the rtcmesh command)',
  },
  {
    filter: '@rtcmesh/signal',
    dir: 'apps/signal',
    name: 'rtcmesh-signal',
    description: 'rtcmesh signaling server, admin CLI and web console (the rtcmesh-signal command)',
  },
];

function need(path, what) {
  if (!existsSync(path)) {
    console.error(`package: ${what} is missing (${path}): run \`pnpm run build\` first`);
    process.exit(1);
  }
}

need(join(root, 'apps/agent/dist/cli/main.js'), 'the agent build');
need(join(root, 'apps/signal/dist/cli.js'), 'the server build');
need(join(root, 'apps/console/dist/index.html'), 'the console build');
need(join(root, 'packages/netdev/build/Release/netdev.node'), 'the netdev native addon');
mkdirSync(out, { recursive: true });

for (const app of APPS) {
  const wrapper = mkdtempSync(join(tmpdir(), `${app.name}-`));
  const stage = join(wrapper, 'app');
  try {
    execFileSync(
      'npx',
      [
        '-y',
        'pnpm@10',
        '--filter',
        app.filter,
        'deploy',
        '--legacy',
        '--prod',
        '--config.node-linker=hoisted',
        '--config.allow-unused-patches=true',
        stage,
      ],
      { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const modules = join(stage, 'node_modules');
    // The addon pnpm builds at install (deploy does not run its build script).
    const netdev = join(modules, '@rtcmesh/netdev');
    if (existsSync(netdev)) {
      mkdirSync(join(netdev, 'build/Release'), { recursive: true });
      cpSync(
        join(root, 'packages/netdev/build/Release/netdev.node'),
        join(netdev, 'build/Release/netdev.node'),
      );
    }
    if (app.name === 'rtcmesh-signal')
      cpSync(join(root, 'apps/console/dist'), join(stage, 'console'), { recursive: true });
    // Bins are made by npm from the manifest; the tree's own links would point nowhere.
    for (const bin of findAll(modules, '.bin')) rmSync(bin, { recursive: true, force: true });
    const pkg = JSON.parse(readFileSync(join(stage, 'package.json'), 'utf8'));
    const bins = JSON.parse(readFileSync(join(root, app.dir, 'package.json'), 'utf8')).bin ?? {};
    const manifest = {
      name: app.name,
      version: pkg.version,
      description: app.description,
      license: pkg.license,
      bin: Object.fromEntries(
        Object.entries(bins).map(([cmd, path]) => [cmd, `app/${String(path).replace(/^\.\//, '')}`]),
      ),
      engines: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines,
      os: ['linux'],
      cpu: [process.arch],
      files: ['app'],
    };
    writeFileSync(join(wrapper, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const f of ['README.md', 'LICENSE'])
      if (existsSync(join(root, f))) cpSync(join(root, f), join(wrapper, f));
    for (const f of readdirSync(out)) if (f.startsWith(`${app.name}-`)) rmSync(join(out, f));
    // A package tarball is `package/` gzipped.
    const file = `${app.name}-${manifest.version}.tgz`;
    execFileSync('tar', [
      '-czf',
      join(out, file),
      '--owner=0',
      '--group=0',
      // pnpm's store hard-links identical files; npm does not extract hard-link entries.
      '--hard-dereference',
      '--transform',
      's,^\\.,package,',
      '-C',
      wrapper,
      '.',
    ]);
    console.log(join('dist/packages', file));
  } finally {
    if (process.env.KEEP_STAGE) console.error(`stage kept: ${wrapper}`);
    else rmSync(wrapper, { recursive: true, force: true });
  }
}

/** Every directory named `name` under `dir`. */
function findAll(dir, name) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    if (entry.name === name) found.push(path);
    else found.push(...findAll(path, name));
  }
  return found;
}
