// Builds the N-API addon (build/Release/netdev.node) with node-gyp, offline.
// Runs from `pnpm install` (this package's install script) and `pnpm run build:native`.
// Headers: N-API needs only node_api.h and uv.h. When they sit beside the running node
// (e.g. /usr/include/node for /usr/bin/node, or a Node tarball install) we point node-gyp
// at that prefix, so it never downloads headers.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(pkgDir, 'package.json'));
const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');

const args = [nodeGyp, 'rebuild'];
const prefix = join(dirname(process.execPath), '..');
const configured = process.env.npm_config_nodedir;
if (configured) {
  args.push(`--nodedir=${configured}`);
} else if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
const r = spawnSync(process.execPath, args, { cwd: pkgDir, stdio: 'inherit' });
if (r.status !== 0) {
  console.error(
    '@rtcmesh/netdev: building the native addon failed. It needs python3, make, a C compiler and the ' +
      'Node headers (include/node beside the node binary, or npm_config_nodedir). ' +
      'Debian: apt-get install python3 make gcc; then `pnpm --filter @rtcmesh/netdev run build:native`.',
  );
  process.exit(r.status ?? 1);
}
