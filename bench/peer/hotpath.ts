/**
 * werift/PeerLink hot path in isolation: two PeerLinks in ONE process over loopback, 1280-byte
 * frames (the device MTU) at the agent's settings (SCTP MTU 1330, buffered cap `--cap`, default 32 KiB), the sender
 * refilling to the cap every loop turn. Both ends share one core, so messages/s is CPU cost per
 * message of send + receive. Used for before/after figures of the werift patches and PeerLink changes.
 *
 *   npx tsx bench/peer/hotpath.ts [--seconds 5] [--runs 3] [--tag name]
 *
 * Prints one line per run and the median; appends to bench/results/peer-hotpath.json under `tag`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { floodLinkPair, lossPct } from './flood.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    runs: { type: 'string', default: '3' },
    tag: { type: 'string', default: 'current' },
    bytes: { type: 'string', default: '1280' },
    cap: { type: 'string', default: String(32 * 1024) },
  },
});
const SECONDS = Number(values.seconds);
const BYTES = Number(values.bytes);

async function once(): Promise<{ msgPerS: number; mbps: number; cpuUsPerMsg: number; lossPct: number }> {
  const r = await floodLinkPair({
    messageBytes: BYTES,
    sctpMtu: 1330,
    cap: Number(values.cap),
    seconds: SECONDS,
  });
  const got = r.receivedAtStop;
  return {
    msgPerS: Math.round(got / r.elapsedS),
    mbps: Math.round(((got * BYTES * 8) / r.elapsedS / 1e6) * 10) / 10,
    cpuUsPerMsg: Math.round((r.cpuUs / got) * 10) / 10,
    lossPct: lossPct(r),
  };
}

const runs: Awaited<ReturnType<typeof once>>[] = [];
for (let i = 0; i < Number(values.runs); i++) {
  const r = await once();
  runs.push(r);
  console.log(
    `${values.tag}: ${r.msgPerS} msg/s  ${r.mbps} Mbit/s  ${r.cpuUsPerMsg} µs CPU/msg  loss ${r.lossPct}%`,
  );
}
const med = (k: 'msgPerS' | 'mbps' | 'cpuUsPerMsg') => {
  const s = runs.map((r) => r[k]).sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
};
const summary = {
  tag: values.tag,
  capBytes: Number(values.cap),
  date: new Date().toISOString(),
  messageBytes: BYTES,
  seconds: SECONDS,
  medianMsgPerS: med('msgPerS'),
  medianMbps: med('mbps'),
  medianCpuUsPerMsg: med('cpuUsPerMsg'),
  runs,
};
console.log(
  `median: ${summary.medianMsgPerS} msg/s, ${summary.medianMbps} Mbit/s, ${summary.medianCpuUsPerMsg} µs CPU/msg`,
);
const out = join(dirname(fileURLToPath(import.meta.url)), '../results/peer-hotpath.json');
mkdirSync(dirname(out), { recursive: true });
const prev = existsSync(out)
  ? (JSON.parse(readFileSync(out, 'utf8')) as { results: (typeof summary)[] })
  : { results: [] };
prev.results = prev.results.filter((r) => r.tag !== summary.tag).concat(summary);
writeFileSync(out, `${JSON.stringify(prev, null, 2)}\n`);
