import { cpuSeconds, firstPing, iperfTcp, iperfUdpPps, peakRssMiB, pingRtts } from './measure.js';
import type { PathFigures } from './report.js';
import { median as med, percentile, summarize } from './stats.js';
import type { BenchContext, PathUnderTest } from './types.js';

/** What one run of one path measured. */
export interface RunFigures {
  tcp1Mbps: number;
  tcp4Mbps: number;
  udp64Kpps: number;
  rttIdle: number[];
  rttLoaded: number[];
  cpuSecondsPerGB: number;
  peakRssMiB: number;
  startToFirstPingS: number;
}

export interface MeasureOptions {
  /** Seconds per iperf3 test. */
  seconds: number;
  /** Idle pings (10 ms apart, or the RTT if longer). */
  idlePings: number;
  /** The 64-byte UDP packet-rate test (a LAN figure; skipped on WAN cells). */
  udp: boolean;
}

/** Starts a path, measures it, stops it (also when a measurement fails). */
export async function measurePath(
  ctx: BenchContext,
  path: PathUnderTest,
  o: MeasureOptions,
): Promise<RunFigures> {
  const t0 = Date.now();
  const running = await path.start(ctx);
  try {
    const startToFirstPingS = (await firstPing(ctx.a, running.target, t0, 90_000)) / 1000;
    const rttIdle = await pingRtts(ctx.a, running.target, o.idlePings, 0.01);
    const pids = running.daemonPids();
    const cpu0 = await cpuSeconds(pids);
    // Ping under load: during the single-stream TCP test (queueing delay the tunnel adds).
    const loadPings = Math.max(10, Math.floor((o.seconds - 1) * 20));
    const [tcp1, rttLoaded] = await Promise.all([
      iperfTcp(ctx.a, ctx.b, running.target, o.seconds, 1),
      new Promise((r) => setTimeout(r, 500)).then(() => pingRtts(ctx.a, running.target, loadPings, 0.05)),
    ]);
    const tcp4 = await iperfTcp(ctx.a, ctx.b, running.target, o.seconds, 4);
    const cpu1 = await cpuSeconds(pids);
    const gb = (tcp1.bytes + tcp4.bytes) / 1e9;
    const udp = o.udp
      ? await iperfUdpPps(ctx.a, ctx.b, running.target, Math.max(2, Math.round(o.seconds / 2)))
      : { pps: Number.NaN };
    const rss = await peakRssMiB(pids);
    return {
      tcp1Mbps: tcp1.mbps,
      tcp4Mbps: tcp4.mbps,
      udp64Kpps: udp.pps / 1000,
      rttIdle,
      rttLoaded,
      cpuSecondsPerGB: pids.length ? (cpu1 - cpu0) / gb : Number.NaN,
      peakRssMiB: pids.length ? rss : Number.NaN,
      startToFirstPingS,
    };
  } finally {
    await running.stop();
  }
}

/** Median and range over runs of every figure. */
export function figures(rs: readonly RunFigures[]): PathFigures {
  const per = (f: (r: RunFigures) => number) => summarize(rs.map(f));
  return {
    tcp1Mbps: per((r) => r.tcp1Mbps),
    tcp4Mbps: per((r) => r.tcp4Mbps),
    udp64Kpps: per((r) => r.udp64Kpps),
    rttIdleMedianMs: per((r) => med(r.rttIdle)),
    rttIdleP99Ms: per((r) => percentile(r.rttIdle, 99)),
    rttLoadedMedianMs: per((r) => med(r.rttLoaded)),
    rttLoadedP99Ms: per((r) => percentile(r.rttLoaded, 99)),
    cpuSecondsPerGB: per((r) => r.cpuSecondsPerGB),
    peakRssMiB: per((r) => r.peakRssMiB),
    startToFirstPingS: per((r) => r.startToFirstPingS),
  };
}

/** One line of progress for a run. */
export function describeRun(f: RunFigures): string {
  const udp = Number.isFinite(f.udp64Kpps) ? `, udp64 ${f.udp64Kpps.toFixed(1)} kpps` : '';
  return `tcp1 ${f.tcp1Mbps.toFixed(0)} tcp4 ${f.tcp4Mbps.toFixed(0)} Mbit/s${udp}, rtt ${med(
    f.rttIdle,
  ).toFixed(
    2,
  )}/${med(f.rttLoaded).toFixed(2)} ms, cpu ${f.cpuSecondsPerGB.toFixed(1)} s/GB, rss ${f.peakRssMiB.toFixed(
    0,
  )} MiB, first ping ${f.startToFirstPingS.toFixed(2)} s`;
}
