/**
 * PeerLink throughput over loopback: one link, one direction, a sender that keeps the packet channel
 * at its buffered cap (frames over the cap are dropped, as in the agent), for each combination of
 * message size (1200, 1280 bytes), SCTP MTU (werift default vs 1330) and buffered cap (16 vs 32 KiB).
 *
 *   npx tsx bench/peer/throughput.ts [seconds per run, default 5]
 *
 * Prints a table and writes bench/results/peer.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { floodLinkPair, lossPct } from './flood.js';

interface Run {
  messageBytes: number;
  sctpMtu: number | 'default';
  bufferCapBytes: number;
  seconds: number;
  sentMessages: number;
  receivedMessages: number;
  receivedPerSecond: number;
  receivedMbitPerSecond: number;
  lossPct: number;
}

const WERIFT_DEFAULT_MTU = 1191; // RTCSctpConfiguration default per werift 0.25.2 typings

async function run(
  messageBytes: number,
  sctpMtu: number | 'default',
  cap: number,
  seconds: number,
): Promise<Run> {
  const r = await floodLinkPair({
    messageBytes,
    sctpMtu: sctpMtu === 'default' ? WERIFT_DEFAULT_MTU : sctpMtu,
    cap,
    seconds,
  });
  const rate = r.receivedAtStop / r.elapsedS;
  return {
    messageBytes,
    sctpMtu,
    bufferCapBytes: cap,
    seconds: Math.round(r.elapsedS * 100) / 100,
    sentMessages: r.sent,
    receivedMessages: r.received,
    receivedPerSecond: Math.round(rate),
    receivedMbitPerSecond: Math.round(((rate * messageBytes * 8) / 1e6) * 10) / 10,
    lossPct: lossPct(r),
  };
}

const seconds = Number(process.argv[2] ?? 5);
const runs: Run[] = [];
for (const messageBytes of [1200, 1280]) {
  for (const sctpMtu of ['default', 1330] as const) {
    for (const cap of [16 * 1024, 32 * 1024]) {
      const r = await run(messageBytes, sctpMtu, cap, seconds);
      runs.push(r);
      console.log(
        `${String(r.messageBytes).padStart(5)} B  mtu ${String(r.sctpMtu).padStart(7)}  cap ${String(cap / 1024).padStart(2)} KiB  ` +
          `${String(r.receivedPerSecond).padStart(6)} msg/s  ${String(r.receivedMbitPerSecond).padStart(6)} Mbit/s  loss ${r.lossPct}%`,
      );
    }
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'results', 'peer.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ benchmark: 'peer-throughput', date: new Date().toISOString(), node: process.version, werift: '0.25.2', wireMtuDefault: WERIFT_DEFAULT_MTU, runs }, null, 2)}\n`,
);
console.log(`wrote ${out}`);
