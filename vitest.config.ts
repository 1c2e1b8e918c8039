import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript source under the "source" condition,
// so tests always run against the current source, not a stale dist/.
const conditions = ['source', 'import', 'node', 'default'];
const resolve = { conditions };
// Vitest also hands ssr.resolve.conditions to Node as --conditions for external packages: without
// 'import' there (Vite adds import/require by itself), so a CommonJS package that require()s a dual
// package (pg → pg-pool) gets its CommonJS build, not the ES module.
const ssr = { resolve: { conditions: ['source', 'node', 'default'], externalConditions: ['source'] } };

export default defineConfig({
  resolve,
  ssr,
  test: {
    pool: 'forks',
    projects: [
      {
        resolve,
        ssr,
        test: {
          name: 'unit',
          // Projects don't inherit the root's test options: a server spawned under load needs more than 5 s.
          testTimeout: 20_000,
          hookTimeout: 60_000,
          include: [
            'packages/*/src/**/*.test.ts',
            'apps/*/src/**/*.test.ts',
            'test/integration/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', '**/dist/**'],
          maxWorkers: 2,
        },
      },
      {
        resolve,
        ssr,
        test: {
          // Whole worlds of namespaces, agents and coturn with timing assertions (failover < 5 s,
          // MAC move < 1 s): one file at a time, so two worlds never compete for the 2 cores.
          name: 'lab',
          include: ['test/lab/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/browser/**/*.test.ts'],
          // `npm test` runs the e2e suite twice (agents on werift, then on auto): a file that needs only
          // one of the runs is left out of the other by name (package.json "vitest").
          exclude: [
            '**/node_modules/**',
            '**/dist/**',
            ...(process.env.RTCMESH_LAB_EXCLUDE ?? '').split(',').filter((f) => f !== ''),
          ],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
