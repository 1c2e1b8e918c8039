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
import { linkPair, waitForState } from '../../packages/peer/src/testing/linkPair.js';

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
  const pair = linkPair({
    sctpMtu: sctpMtu === 'default' ? WERIFT_DEFAULT_MTU : sctpMtu,
    maxBufferedBytes: cap,
    keepaliveIntervalMs: 1000,
  });
  const { a, b } = pair;
  try {
    a.start();
    await Promise.all([waitForState(a, 'connected'), waitForState(b, 'connected')]);
    let received = 0;
    b.onPacket(() => {
      received++;
    });
    const frame = Buffer.alloc(messageBytes, 0x5a);
    let sent = 0;
    let running = true;
    const pump = () => {
      if (!running) return;
      // Fill up to the cap, then yield so werift can flush.
      for (let i = 0; i < 64 && a.sendPacket(frame); i++) sent++;
      setImmediate(pump);
    };
    const started = performance.now();
    pump();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    running = false;
    const receivedAtStop = received;
    const elapsed = (performance.now() - started) / 1000;
    // Let in-flight messages land before computing loss.
    await new Promise((r) => setTimeout(r, 300));
    const rate = receivedAtStop / elapsed;
    return {
      messageBytes,
      sctpMtu,
      bufferCapBytes: cap,
      seconds: Math.round(elapsed * 100) / 100,
      sentMessages: sent,
      receivedMessages: received,
      receivedPerSecond: Math.round(rate),
      receivedMbitPerSecond: Math.round(((rate * messageBytes * 8) / 1e6) * 10) / 10,
      lossPct: sent === 0 ? 0 : Math.round(((sent - received) / sent) * 1000) / 10,
    };
  } finally {
    await pair.close();
  }
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
