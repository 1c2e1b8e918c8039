import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { AgentMetrics } from '../../apps/agent/src/metrics/agent-metrics.js';
import { Metrics } from '../../apps/signal/src/metrics/metrics.js';

const DASHBOARD = join(import.meta.dirname, '../../contrib/grafana/rtcmesh-dashboard.json');

interface Panel {
  title?: string;
  targets?: { expr: string }[];
}

/** Series names a PromQL expression reads (rtcmesh_* only). */
function seriesIn(expr: string): string[] {
  return [...expr.matchAll(/\brtcmesh_[a-z0-9_]+/g)].map((m) => m[0]);
}

test('every metric the Grafana dashboard queries exists on the agent or the server', async () => {
  const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as {
    panels: Panel[];
    templating: { list: { query: string }[] };
  };
  const agent = new AgentMetrics(() => {
    throw new Error('not scraped here');
  });
  const known = new Set([
    ...(await agent.registry.getMetricsAsJSON()).map((m) => m.name),
    ...(await new Metrics(true).registry.getMetricsAsJSON()).map((m) => m.name),
  ]);
  const exprs = [
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr }))),
    ...dashboard.templating.list.map((v) => ({ panel: 'variable', expr: v.query })),
  ];
  expect(exprs.length).toBeGreaterThan(15);
  const unknown = exprs.flatMap(({ panel, expr }) =>
    seriesIn(expr)
      .filter((name) => !known.has(name))
      .map((name) => `${panel}: ${name}`),
  );
  expect(unknown).toEqual([]);
});
