/**
 * werift vs libdatachannel (node-datachannel) under the same PeerLink: 1200-byte frames on the packet
 * channel (unordered, maxRetransmits 0) over loopback, both ends in this process, the sender keeping
 * the channel at its buffered cap (frames over it are dropped, as in the agent). Runs alternate
 * between the transports so background load hits both alike.
 *
 *   npx tsx bench/peer/ndc-flood.ts [seconds per run, default 4] [runs per transport, default 2]
 *
 * Prints a table and writes bench/results/peer-transports.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PEER_TRANSPORTS, type PeerTransport } from '../../packages/peer/src/link-connection.js';
import { NDC_SCTP_SEND_BUFFER_BYTES } from '../../packages/peer/src/transport/ndc-addon.js';
import { median } from '../compare/stats.js';
import { floodLinkPair, lossPct } from './flood.js';

const MESSAGE_BYTES = 1200;
const SCTP_MTU = 1330;
const CAP = 32 * 1024;

interface Run {
  transport: PeerTransport;
  seconds: number;
  sentMessages: number;
  receivedMessages: number;
  receivedPerSecond: number;
  receivedMbitPerSecond: number;
  lossPct: number;
  /** CPU seconds of this process (sender + receiver + native threads) per second of flood. */
  cpuPerSecond: number;
}

const seconds = Number(process.argv[2] ?? 4);
const rounds = Number(process.argv[3] ?? 2);
const runs: Run[] = [];
for (let i = 0; i < rounds; i++) {
  for (const transport of PEER_TRANSPORTS) {
    const r = await floodLinkPair({
      messageBytes: MESSAGE_BYTES,
      sctpMtu: SCTP_MTU,
      cap: CAP,
      seconds,
      transport,
    });
    const rate = r.receivedAtStop / r.elapsedS;
    const run: Run = {
      transport,
      seconds: Math.round(r.elapsedS * 100) / 100,
      sentMessages: r.sent,
      receivedMessages: r.received,
      receivedPerSecond: Math.round(rate),
      receivedMbitPerSecond: Math.round(((rate * MESSAGE_BYTES * 8) / 1e6) * 10) / 10,
      lossPct: lossPct(r),
      cpuPerSecond: Math.round((r.cpuUs / 1e6 / r.elapsedS) * 100) / 100,
    };
    runs.push(run);
    console.log(
      `${transport.padEnd(14)} ${String(run.receivedPerSecond).padStart(6)} msg/s  ${String(run.receivedMbitPerSecond).padStart(6)} Mbit/s  loss ${run.lossPct}%  cpu ${run.cpuPerSecond} s/s`,
    );
  }
}

const summary = Object.fromEntries(
  PEER_TRANSPORTS.map((t) => {
    const mine = runs.filter((r) => r.transport === t);
    return [
      t,
      {
        medianPerSecond: Math.round(median(mine.map((r) => r.receivedPerSecond))),
        medianMbitPerSecond: Math.round(median(mine.map((r) => r.receivedMbitPerSecond)) * 10) / 10,
        rangeMbitPerSecond: [
          Math.min(...mine.map((r) => r.receivedMbitPerSecond)),
          Math.max(...mine.map((r) => r.receivedMbitPerSecond)),
        ],
      },
    ];
  }),
);
console.log(JSON.stringify(summary));

const here = dirname(fileURLToPath(import.meta.url));
const version = (pkg: string): string => {
  try {
    const file = join(here, '..', '..', 'packages', 'peer', 'node_modules', pkg, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};
const out = join(here, '..', 'results', 'peer-transports.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      benchmark: 'peer-transports',
      date: new Date().toISOString(),
      node: process.version,
      messageBytes: MESSAGE_BYTES,
      sctpMtu: SCTP_MTU,
      bufferCapBytes: CAP,
      ndcSctpSendBufferBytes: NDC_SCTP_SEND_BUFFER_BYTES,
      versions: { werift: '0.25.2', 'node-datachannel': version('node-datachannel') },
      summary,
      runs,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${out}`);
