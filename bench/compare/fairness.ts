import type { MeshLab } from '../../test/e2e/mesh-lab.js';
import { iperfTcp, type TcpResult } from './measure.js';
import { round, summarize } from './stats.js';
import type { PathUnderTest } from './types.js';
import { WAN_HOST } from './wan.js';

/**
 * Does a flow through the tunnel leave a competing flow its share? a2's link becomes a bottleneck
 * (the wire at `rateMbit` with a 50 ms tail-drop buffer, 20 ms RTT, no random loss); one TCP stream
 * through the tunnel and one plain TCP stream on the underlay (same hosts, same bottleneck) run at
 * the same time. A tunnel that hid congestion from the flows inside it (retransmitting, or queueing
 * without bound) would take more than its share or starve; one that adds its own congestion control
 * in series takes less.
 */
export interface FairnessResult {
  id: string;
  label: string;
  unavailable?: string;
  errors: string[];
  /** Mbit/s of each flow while both ran (median over runs), and Jain's fairness index of the pair. */
  tunnelMbps?: number;
  underlayMbps?: number;
  jain?: number;
  samples?: Array<{ tunnel: number; underlay: number }>;
}

export const FAIRNESS_RATE_MBIT = 100;

export async function runFairness(
  mesh: MeshLab,
  paths: readonly PathUnderTest[],
  o: { runs: number; seconds: number; tmp: string; log: (s: string) => void },
): Promise<FairnessResult[]> {
  const a = mesh.world.host('a1');
  const b = mesh.world.host(WAN_HOST);
  await mesh.world.setHostLink(WAN_HOST, {
    delayMs: 10,
    lossPct: 0,
    rateMbit: FAIRNESS_RATE_MBIT,
    queueMs: 50,
  });
  const out: FairnessResult[] = [];
  try {
    for (const p of paths.filter((x) => x.layer !== 'underlay')) {
      const why = await p.unavailable();
      const r: FairnessResult = {
        id: p.id,
        label: p.label,
        errors: [],
        ...(why ? { unavailable: why } : {}),
      };
      out.push(r);
      if (why) continue;
      const samples: Array<{ tunnel: number; underlay: number }> = [];
      for (let run = 0; run < o.runs; run++) {
        o.log(`fairness run ${run + 1}/${o.runs}: ${p.label} against a plain TCP flow ...`);
        try {
          const running = await p.start({ mesh, a, b, run, tmp: `${o.tmp}/f${run}` });
          try {
            const [tunnel, underlay] = await Promise.all([
              iperfTcp(a, b, running.target, o.seconds, 1),
              iperfTcp(a, b, b.ip, o.seconds, 1),
            ]);
            const both = overlapMbps(tunnel, underlay);
            samples.push(both);
            o.log(
              `  tunnel ${both.tunnel.toFixed(0)} Mbit/s, plain ${both.underlay.toFixed(0)} Mbit/s (${both.seconds} s together)`,
            );
          } finally {
            await running.stop();
          }
        } catch (err) {
          r.errors.push(String(err instanceof Error ? err.message : err).split('\n')[0]!);
        }
      }
      if (samples.length) {
        const t = summarize(samples.map((s) => s.tunnel)).median;
        const u = summarize(samples.map((s) => s.underlay)).median;
        r.tunnelMbps = round(t, 0);
        r.underlayMbps = round(u, 0);
        r.jain = round((t + u) ** 2 / (2 * (t * t + u * u)), 2);
        r.samples = samples.map((s) => ({ tunnel: round(s.tunnel, 0), underlay: round(s.underlay, 0) }));
      }
    }
  } finally {
    await mesh.world.setHostLink(WAN_HOST, { delayMs: 0, lossPct: 0 });
  }
  return out;
}

/**
 * Each flow's rate over the whole seconds in which both ran (their iperf3 clients start a little
 * apart), so a flow that had the bottleneck to itself for a while is not counted as a fair share.
 */
function overlapMbps(x: TcpResult, y: TcpResult): { tunnel: number; underlay: number; seconds: number } {
  const from = Math.max(x.intervals[0]?.at ?? 0, y.intervals[0]?.at ?? 0) + 1;
  const end = (r: TcpResult) => (r.intervals.at(-1)?.at ?? 0) + (r.intervals.at(-1)?.seconds ?? 0);
  const to = Math.min(end(x), end(y)) - 0.5;
  const rate = (r: TcpResult) => {
    const inside = r.intervals.filter((i) => i.at >= from && i.at + i.seconds <= to + 0.5);
    const secs = inside.reduce((s, i) => s + i.seconds, 0);
    return { mbps: secs > 0 ? (inside.reduce((s, i) => s + i.bytes, 0) * 8) / secs / 1e6 : Number.NaN, secs };
  };
  const a = rate(x);
  const b = rate(y);
  if (!(a.secs >= 3 && b.secs >= 3)) throw new Error('the two flows ran together for less than 3 s');
  return { tunnel: a.mbps, underlay: b.mbps, seconds: Math.round(Math.min(a.secs, b.secs)) };
}

export function fairnessMarkdown(results: readonly FairnessResult[], runs: number): string {
  const rows = results.map((r) => {
    if (r.unavailable) return `| ${r.label} | not run: ${r.unavailable} | | |`;
    if (r.tunnelMbps === undefined) return `| ${r.label} | failed: ${r.errors[0] ?? '?'} | | |`;
    return `| ${r.label} | ${r.tunnelMbps} | ${r.underlayMbps} | ${r.jain} |`;
  });
  return `| tunnel | through the tunnel, Mbit/s | plain TCP beside it, Mbit/s | Jain's index (1 = equal shares) |
| --- | --- | --- | --- |
${rows.join('\n')}

Both flows at once through a ${FAIRNESS_RATE_MBIT} Mbit/s bottleneck (50 ms tail-drop buffer, 20 ms RTT), one TCP stream each; median of ${runs} run${runs > 1 ? 's' : ''}.`;
}
