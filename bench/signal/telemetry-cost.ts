// Telemetry cost per node per interval, before and after partial reports, at 100 and 1 000 nodes.
// Run: npx tsx bench/signal/telemetry-cost.ts   (writes bench/results/telemetry-cost.json)
// Sizes are the encoded WebSocket messages (the agent's upstream) and the feed events the server
// publishes (what crosses the cluster bus and reaches each console), built with the real encoders.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TelemetryReporter } from '../../apps/agent/src/agent/telemetry-reporter.js';
import { encodeMessage, type LinkReport } from '../../packages/protocol/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const INTERVAL_S = 5;
/** Links of one node that carry traffic in an interval (a busy site talks to a few others). */
const ACTIVE_LINKS = 10;

function link(i: number, tick: number, active: boolean): LinkReport {
  const moved = active ? tick : 0;
  return {
    peerId: `n-${i.toString(36).padStart(12, '0')}`,
    state: 'connected',
    path: 'direct',
    localCandidateType: 'host',
    remoteCandidateType: 'srflx',
    remoteAddress: `203.0.113.${i % 250}:${40000 + (i % 20000)}`,
    rttMs: 23.4 + (tick % 2) * 0.3,
    lossPct: 0,
    transport: 'libdatachannel',
    packetPath: 'rtp',
    pathLossPct: 0,
    txBytes: 1_234_567_890 + moved * 5_000_000,
    rxBytes: 987_654_321 + moved * 4_000_000,
    txPackets: 12_345_678 + moved * 4000,
    rxPackets: 9_876_543 + moved * 3500,
    drops: 12,
    aclDenied: 0,
    since: 1_796_000_000_000,
  };
}

const counters = { framesFromDevice: 123456789, framesToDevice: 98765432, routed: 1234567, aclDenied: 0 };

function bytes(links: LinkReport[], extra: object = {}): number {
  return Buffer.byteLength(encodeMessage({ type: 'telemetry', links, counters, ...extra }));
}

const rows = [];
for (const nodes of [100, 1000]) {
  const peers = nodes - 1;
  const ticks = 12; // one minute
  const before = bytes(Array.from({ length: peers }, (_, i) => link(i, 1, i < ACTIVE_LINKS)));
  const measure = (active: number) => {
    const r = new TelemetryReporter();
    let first = 0;
    let steady = 0;
    for (let t = 0; t <= ticks; t++) {
      const msgs = r.report(
        Array.from({ length: peers }, (_, i) => link(i, t, i < active)),
        counters,
        t * INTERVAL_S * 1000,
      );
      const size = msgs.reduce(
        (sum, m) => sum + Buffer.byteLength(encodeMessage({ type: 'telemetry', ...m })),
        0,
      );
      if (t === 0) first = size;
      else steady += size;
    }
    return { first, perInterval: Math.round(steady / ticks) };
  };
  const idle = measure(0);
  const busy = measure(ACTIVE_LINKS);
  rows.push({
    nodes,
    beforeBytesPerNodePerInterval: before,
    fullReportBytes: idle.first,
    // The full report is repeated every 10 minutes (telemetry-reporter.ts FULL_EVERY_MS).
    fullRefreshBytesPerInterval: Math.round(idle.first / ((10 * 60) / INTERVAL_S)),
    idleBytesPerNodePerInterval: idle.perInterval,
    activeBytesPerNodePerInterval: busy.perInterval,
    activeLinks: ACTIVE_LINKS,
    networkBytesPerIntervalBefore: before * nodes,
    networkBytesPerIntervalIdle: idle.perInterval * nodes,
    networkBytesPerIntervalActive: busy.perInterval * nodes,
  });
}

const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
console.log(`telemetry per node per ${INTERVAL_S} s interval (encoded messages)`);
for (const r of rows)
  console.log(
    `${String(r.nodes).padStart(5)} nodes: before ${kb(r.beforeBytesPerNodePerInterval)}; now idle ${r.idleBytesPerNodePerInterval} B, ` +
      `${r.activeLinks} active links ${kb(r.activeBytesPerNodePerInterval)}; full report per session and every 10 min ${kb(r.fullReportBytes)} (${kb(r.fullRefreshBytesPerInterval)} per interval); ` +
      `whole network per interval before ${kb(r.networkBytesPerIntervalBefore)}, now ${kb(r.networkBytesPerIntervalActive)} with ${r.activeLinks} active links per node`,
  );
mkdirSync(join(here, '../results'), { recursive: true });
writeFileSync(
  join(here, '../results/telemetry-cost.json'),
  `${JSON.stringify({ intervalS: INTERVAL_S, rows }, null, 2)}\n`,
);
