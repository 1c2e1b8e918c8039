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
import { linkPair, waitForState } from '../../packages/peer/src/testing/linkPair.js';

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
  const { a, b, close } = (() => {
    const p = linkPair({ sctpMtu: 1330, maxBufferedBytes: Number(values.cap), keepaliveIntervalMs: 1000 });
    return { a: p.a, b: p.b, close: () => p.close() };
  })();
  try {
    a.start();
    await Promise.all([waitForState(a, 'connected'), waitForState(b, 'connected')]);
    let received = 0;
    b.onPacket(() => {
      received++;
    });
    const frame = Buffer.alloc(BYTES, 0x5a);
    let sent = 0;
    let running = true;
    const pump = () => {
      if (!running) return;
      for (let i = 0; i < 64 && a.sendPacket(frame); i++) sent++;
      setImmediate(pump);
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    pump();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    running = false;
    const got = received;
    const cpu = process.cpuUsage(cpu0);
    const elapsed = (performance.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 300));
    return {
      msgPerS: Math.round(got / elapsed),
      mbps: Math.round(((got * BYTES * 8) / elapsed / 1e6) * 10) / 10,
      cpuUsPerMsg: Math.round(((cpu.user + cpu.system) / got) * 10) / 10,
      lossPct: sent ? Math.round(((sent - received) / sent) * 1000) / 10 : 0,
    };
  } finally {
    await close();
  }
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
