#!/usr/bin/env node
// The test passes of `npm test` (unit, lab on werift, lab on auto), one after the other. A pass the
// stuck-files reporter stopped because a file hung (exit 75, diagnostics above it) runs once more,
// said loudly; a pass that fails is never run again.
import { spawnSync } from 'node:child_process';

const STUCK = 75;
const reporters = ['--reporter=default', '--reporter=./test/reporters/stuck-files.ts'];
const passes = [
  { name: 'unit', args: ['--project', 'unit'], env: {} },
  {
    name: 'lab (werift)',
    args: ['--project', 'lab'],
    env: { RTCMESH_LAB_EXCLUDE: 'test/e2e/packed-install.test.ts' },
  },
  { name: 'lab (auto)', args: ['--project', 'lab', 'test/e2e'], env: { RTCMESH_E2E_TRANSPORT: 'auto' } },
];

for (const pass of passes) {
  for (let attempt = 1; ; attempt++) {
    const r = spawnSync('vitest', ['run', ...pass.args, ...reporters], {
      stdio: 'inherit',
      env: { ...process.env, ...pass.env },
    });
    if (r.status === 0) break;
    if (r.status === STUCK && attempt === 1) {
      console.error(`\n*** the ${pass.name} pass hung (see [stuck-files] above): running it once more ***\n`);
      continue;
    }
    console.error(`the ${pass.name} pass failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status === null ? 1 : r.status);
  }
}
