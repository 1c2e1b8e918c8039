// TAP read/write throughput of @rtcmesh/netdev (uv_poll addon), in a network namespace this
// script creates and always deletes. Run as root: `npx tsx bench/netdev/readwrite.ts`.
// Writes bench/results/netdev.json. Each phase runs a few seconds; the whole run stays < 15 s.
//
// Phases (frames are 1242 bytes on the wire, the size of the earlier fs.read/libuv-stream test):
//  1. read/flood: a UDP sender (node dgram, its own process) floods a neighbour with a static
//     ARP entry, so every datagram becomes one frame the kernel sends into the TAP. Sender and
//     reader share the machine's cores, so frames/s is bounded by the sender; the reader's CPU
//     per frame is the figure that carries over. While flooding, fs.stat round trips measure
//     that reading leaves the libuv thread pool alone.
//  2. read/drain: the reader is paused while the kernel queues a burst (txqueuelen raised),
//     then resumed: the drain rate is the reader's own ceiling, with no sender competing.
//  3. write: frames (IPv4/UDP to the namespace's own address) written as fast as possible.
import { execFile } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { arch, cpus, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NetDevice, openTap } from '../../packages/netdev/src/index.js';
import { ethernetFrame, udp4Packet } from '../../packages/netdev/src/testing/frames.js';
import { missingDevicePrerequisite, TestNetns } from '../../packages/netdev/src/testing/netns.js';

const FRAME_BYTES = 1242;
const UDP_PAYLOAD = FRAME_BYTES - 14 - 20 - 8;
const FLOOD_MS = 3000;
const DRAIN_BURST = 40_000;
const WRITE_MS = 2000;
const TAP_IP = '10.210.0.1';
const PEER_IP = '10.210.0.2';
const PEER_MAC = '02:bb:00:00:00:02';

interface CpuSample {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly systemMs: number;
}

function startCpu(): () => CpuSample {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(c0);
    return { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, systemMs: c.system / 1000 };
  };
}

/** UDP flood from inside the namespace; resolves with the number of datagrams sent. */
function flood(ns: TestNetns, ms: number, count?: number): Promise<number> {
  const script = `
    const s = require('dgram').createSocket('udp4');
    const payload = Buffer.alloc(${UDP_PAYLOAD});
    const end = Date.now() + ${ms};
    const limit = ${count ?? Number.MAX_SAFE_INTEGER};
    let sent = 0, queued = 0, inflight = 0;
    function pump() {
      while (inflight < 512) {
        if (Date.now() > end || queued >= limit) {
          if (inflight === 0) { process.stdout.write(String(sent)); s.close(); }
          return;
        }
        inflight++; queued++;
        s.send(payload, 9, '${PEER_IP}', () => { inflight--; sent++; pump(); });
      }
    }
    s.bind(0, pump);`;
  return new Promise((resolve, reject) => {
    execFile(
      'ip',
      ['netns', 'exec', ns.name, process.execPath, '-e', script],
      { timeout: ms + 10_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`flooder failed: ${stderr || err.message}`)) : resolve(Number(stdout)),
    );
  });
}

async function tapTxDropped(ns: TestNetns, dev: string): Promise<number> {
  const [link] = JSON.parse(await ns.ip(['-s', '-j', 'link', 'show', 'dev', dev])) as {
    stats64: { tx: { dropped: number }; rx: { packets: number } };
  }[];
  return link?.stats64.tx.dropped ?? 0;
}

async function tapRxPackets(ns: TestNetns, dev: string): Promise<number> {
  const [link] = JSON.parse(await ns.ip(['-s', '-j', 'link', 'show', 'dev', dev])) as {
    stats64: { rx: { packets: number } };
  }[];
  return link?.stats64.rx.packets ?? 0;
}

/** fs.stat round trips (thread pool) while `until` is pending: mean and max latency. */
async function threadPoolProbe(
  until: Promise<unknown>,
): Promise<{ calls: number; meanMs: number; maxMs: number }> {
  let done = false;
  void until.finally(() => {
    done = true;
  });
  let calls = 0;
  let total = 0;
  let max = 0;
  while (!done) {
    const t = performance.now();
    await stat('/');
    const dt = performance.now() - t;
    calls++;
    total += dt;
    max = Math.max(max, dt);
    await new Promise((r) => setTimeout(r, 5));
  }
  return { calls, meanMs: round(total / Math.max(1, calls), 3), maxMs: round(max, 3) };
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function rates(frames: number, bytes: number, s: CpuSample) {
  const seconds = s.wallMs / 1000;
  return {
    frames,
    seconds: round(seconds, 3),
    framesPerSec: Math.round(frames / seconds),
    mbitPerSec: round((bytes * 8) / seconds / 1e6),
    cpuPercentOfOneCore: round((s.cpuMs / s.wallMs) * 100),
    kernelShareOfCpuPercent: round((s.systemMs / Math.max(0.001, s.cpuMs)) * 100),
    cpuMicrosPerFrame: round((s.cpuMs * 1000) / Math.max(1, frames), 2),
  };
}

async function drainRound(ns: TestNetns, tap: NetDevice) {
  tap.pause();
  const droppedBefore = await tapTxDropped(ns, tap.name);
  const burstSent = await flood(ns, 20_000, DRAIN_BURST);
  const burstDropped = (await tapTxDropped(ns, tap.name)) - droppedBefore;
  const expected = burstSent - burstDropped;
  let frames = 0;
  let bytes = 0;
  const drained = new Promise<void>((resolve) => {
    tap.onFrames((batch) => {
      frames += batch.length;
      for (const f of batch) bytes += f.length;
      if (frames >= expected) resolve();
    });
  });
  const batchesBefore = tap.stats().readBatches;
  const stopCpu = startCpu();
  tap.resume();
  await Promise.race([drained, new Promise((r) => setTimeout(r, 5000))]);
  const cpu = stopCpu();
  const batches = tap.stats().readBatches - batchesBefore;
  return {
    ...rates(frames, bytes, cpu),
    queued: expected,
    burstDroppedByKernel: burstDropped,
    meanFramesPerCallback: round(frames / Math.max(1, batches), 1),
  };
}

async function main(): Promise<void> {
  const missing = missingDevicePrerequisite();
  if (missing) throw new Error(`bench/netdev/readwrite.ts needs root and /dev/net/tun: ${missing}`);
  const ns = await TestNetns.create('rtcmesh-bench-nd');
  // Ctrl-C / SIGTERM must not leave the namespace behind.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void ns.delete().finally(() => process.exit(130));
    });
  }
  try {
    const tap = await openTap({ netns: ns.name, name: 'benchtap0', addresses: [`${TAP_IP}/24`] });
    await ns.ip(['neigh', 'replace', PEER_IP, 'lladdr', PEER_MAC, 'dev', tap.name, 'nud', 'permanent']);
    // A deep kernel queue for the drain phase (default 1000 frames).
    await ns.ip(['link', 'set', 'dev', tap.name, 'txqueuelen', String(DRAIN_BURST + 1000)]);

    let frames = 0;
    let bytes = 0;
    tap.onFrames((batch) => {
      frames += batch.length;
      for (const f of batch) bytes += f.length;
    });

    // Thread-pool latency at rest, to compare with the same probe during the flood.
    const idleProbe = await threadPoolProbe(new Promise((r) => setTimeout(r, 500)));

    // 1. Sustained flood.
    const drops0 = await tapTxDropped(ns, tap.name);
    const stopCpu = startCpu();
    const sender = flood(ns, FLOOD_MS);
    const probe = threadPoolProbe(sender);
    const sent = await sender;
    const floodCpu = stopCpu();
    const floodFrames = frames;
    const floodBytes = bytes;
    const stats1 = tap.stats();
    const read = {
      ...rates(floodFrames, floodBytes, floodCpu),
      senderDatagrams: sent,
      kernelDrops: (await tapTxDropped(ns, tap.name)) - drops0,
      meanFramesPerCallback: round(stats1.framesRead / Math.max(1, stats1.readBatches), 1),
      threadPoolIdle: idleProbe,
      threadPoolDuringFlood: await probe,
    };

    // 2. Burst drain, three rounds (median reported): queue a burst while paused, then time the reader alone.
    const rounds: Awaited<ReturnType<typeof drainRound>>[] = [];
    for (let i = 0; i < 3; i++) rounds.push(await drainRound(ns, tap));
    rounds.sort((a, b) => a.framesPerSec - b.framesPerSec);
    const drain = { ...rounds[1], rounds: rounds.map((r) => r.framesPerSec) };
    tap.onFrames(() => undefined);

    // 3. Writes: IPv4/UDP frames to the TAP's own address (the kernel takes each up its stack).
    const packet = udp4Packet({
      src: PEER_IP,
      dst: TAP_IP,
      srcPort: 40000,
      dstPort: 9,
      payload: Buffer.alloc(UDP_PAYLOAD),
    });
    const frame = ethernetFrame(tap.mac ?? '02:00:00:00:00:00', PEER_MAC, 0x0800, packet);
    const rx0 = await tapRxPackets(ns, tap.name);
    const w0 = tap.stats();
    const stopWriteCpu = startCpu();
    const writeEnd = performance.now() + WRITE_MS;
    let refused = 0;
    while (performance.now() < writeEnd) {
      for (let i = 0; i < 1000; i++) if (!tap.write(frame)) refused++;
      await new Promise((r) => setImmediate(r));
    }
    const writeCpu = stopWriteCpu();
    const w1 = tap.stats();
    const written = w1.framesWritten - w0.framesWritten;
    const write = {
      ...rates(written, w1.bytesWritten - w0.bytesWritten, writeCpu),
      refused,
      queueDrops: w1.writeQueueDrops - w0.writeQueueDrops,
      kernelRxPackets: (await tapRxPackets(ns, tap.name)) - rx0,
    };

    await tap.close();
    const result = {
      benchmark: 'netdev TAP read/write (uv_poll N-API addon)',
      date: new Date().toISOString(),
      node: process.version,
      kernel: release(),
      arch: arch(),
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      loadAverageNote: 'shared machine: figures vary with other load',
      frameBytes: FRAME_BYTES,
      readFlood: read,
      readDrain: drain,
      write,
    };
    console.log(JSON.stringify(result, null, 2));
    const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', 'netdev.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(`${out}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
    renameSync(`${out}.tmp`, out);
    console.log(`wrote ${out}`);
  } finally {
    await ns.delete();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
