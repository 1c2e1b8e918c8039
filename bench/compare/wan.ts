import type { MeshLab } from '../../test/e2e/mesh-lab.js';
import { iperfUdpPps } from './measure.js';
import type { PathFigures, PathResult } from './report.js';
import { describeRun, figures, measurePath, type RunFigures } from './run-path.js';
import { median, type Summary } from './stats.js';
import type { PathUnderTest } from './types.js';

/**
 * One WAN condition of the matrix: round-trip time added by the wire, and random loss applied to
 * every packet independently, in each direction (0.25 % each way is 0.5 % per round trip).
 */
export interface WanCell {
  rttMs: number;
  lossPct: number;
}

export const WAN_CELLS: readonly WanCell[] = [
  { rttMs: 0, lossPct: 0 },
  { rttMs: 0, lossPct: 0.25 },
  { rttMs: 20, lossPct: 0 },
  { rttMs: 20, lossPct: 0.25 },
  { rttMs: 80, lossPct: 0 },
  { rttMs: 80, lossPct: 0.25 },
];

export const cellLabel = (c: WanCell): string => `${c.rttMs} ms, ${c.lossPct} %`;

export interface WanCellResult extends WanCell {
  results: PathResult[];
  /**
   * The wire's own ceiling for datagrams of a tunnel's size (1300-byte UDP, unthrottled sender,
   * received Mbit/s, median over runs): what any tunnel's packets can get through it. The underlay's
   * TCP row is higher: the wire writes TCP segments merged (GSO), a tunnel's datagrams one by one.
   */
  wireUdpCeilingMbps?: number;
}

/** The host whose link goes through the wire (the bench's receiving side). */
export const WAN_HOST = 'a2';

/**
 * Every path under every WAN condition, `runs` times, interleaved (run 1 of every cell and path, then
 * run 2...) so that slow drift of the shared machine spreads over all of them. The wire sits on
 * a2's link: delay = rttMs / 2 and lossPct in each direction.
 */
export async function runWanMatrix(
  mesh: MeshLab,
  paths: readonly PathUnderTest[],
  o: { runs: number; seconds: number; tmp: string; log: (s: string) => void; cells?: readonly WanCell[] },
): Promise<WanCellResult[]> {
  const cells = o.cells ?? WAN_CELLS;
  const a = mesh.world.host('a1');
  const b = mesh.world.host(WAN_HOST);
  const unavailable = new Map<string, string | undefined>();
  for (const p of paths) unavailable.set(p.id, await p.unavailable());
  const runs = new Map<string, RunFigures[]>();
  const errors = new Map<string, string[]>();
  const key = (c: WanCell, p: PathUnderTest) => `${c.rttMs}/${c.lossPct}/${p.id}`;
  const ceilings = new Map<string, number[]>();
  for (let run = 0; run < o.runs; run++) {
    for (const cell of cells) {
      await mesh.world.setHostLink(WAN_HOST, { delayMs: cell.rttMs / 2, lossPct: cell.lossPct });
      try {
        const u = await iperfUdpPps(a, b, b.ip, Math.max(2, Math.round(o.seconds / 2)), 1300);
        const k = `${cell.rttMs}/${cell.lossPct}`;
        ceilings.set(k, [...(ceilings.get(k) ?? []), (u.pps * 1300 * 8) / 1e6]);
      } catch (err) {
        o.log(`  wire ceiling: ${String(err).split('\n')[0]}`);
      }
      for (const p of paths) {
        if (unavailable.get(p.id)) continue;
        o.log(`run ${run + 1}/${o.runs}, ${cellLabel(cell)}: ${p.label} ...`);
        try {
          const f = await measurePath({ mesh, a, b, run, tmp: `${o.tmp}/r${run}` }, p, {
            seconds: o.seconds,
            idlePings: 50,
            udp: false,
          });
          runs.set(key(cell, p), [...(runs.get(key(cell, p)) ?? []), f]);
          o.log(`  ${describeRun(f)}`);
        } catch (err) {
          const msg = String(err instanceof Error ? err.message : err).split('\n')[0]!;
          errors.set(key(cell, p), [...(errors.get(key(cell, p)) ?? []), msg]);
          o.log(`  failed: ${msg}`);
        }
      }
    }
  }
  await mesh.world.setHostLink(WAN_HOST, { delayMs: 0, lossPct: 0 });
  return cells.map((cell) => ({
    ...cell,
    ...(ceilings.get(`${cell.rttMs}/${cell.lossPct}`)?.length
      ? { wireUdpCeilingMbps: Math.round(median(ceilings.get(`${cell.rttMs}/${cell.lossPct}`)!)) }
      : {}),
    results: paths.map((p) => {
      const rs = runs.get(key(cell, p)) ?? [];
      const why = unavailable.get(p.id);
      return {
        id: p.id,
        label: p.label,
        layer: p.layer,
        errors: errors.get(key(cell, p)) ?? [],
        ...(why ? { unavailable: why } : {}),
        ...(rs.length ? { figures: figures(rs) } : {}),
      };
    }),
  }));
}

function fmt(s: Summary | undefined, digits: number): string {
  if (!s || !Number.isFinite(s.median)) return '—';
  const d = (x: number) => x.toFixed(digits);
  if (s.samples.length <= 1 || s.min === s.max) return d(s.median);
  return `${d(s.median)} (${d(s.min)}–${d(s.max)})`;
}

/**
 * One table per figure: a row per path, a column per WAN cell. Throughput cells also give the
 * ratio to wireguard-go in the same cell (the issue's targets are stated that way).
 */
export function wanMarkdown(cells: readonly WanCellResult[], runs: number): string {
  const paths = cells[0]?.results ?? [];
  const head = `| path | ${cells.map(cellLabel).join(' | ')} |\n| --- |${cells.map(() => ' --- |').join('')}`;
  const table = (
    title: string,
    pick: (f: PathFigures) => Summary,
    digits: number,
    ratio: boolean,
  ): string => {
    const rows = paths.map((p, i) => {
      const cols = cells.map((c) => {
        const r = c.results[i]!;
        if (r.unavailable) return 'not run';
        if (!r.figures) return `failed${r.errors[0] ? `: ${r.errors[0].slice(0, 40)}` : ''}`;
        const v = pick(r.figures);
        const wg = c.results.find((x) => x.id === 'wireguard-go')?.figures;
        const x =
          ratio && wg && p.id !== 'wireguard-go' ? ` (${(v.median / pick(wg).median).toFixed(2)}×)` : '';
        return `${fmt(v, digits)}${x}`;
      });
      return `| ${p.label} | ${cols.join(' | ')} |`;
    });
    return `### ${title}\n\n${head}\n${rows.join('\n')}`;
  };
  const ceiling = `| wire ceiling: 1300-byte UDP, Mbit/s | ${cells.map((c) => c.wireUdpCeilingMbps ?? '—').join(' | ')} |`;
  return [
    `${table('TCP, 1 stream, Mbit/s (× wireguard-go in the same cell)', (f) => f.tcp1Mbps, 0, true)}\n${ceiling}`,
    table('TCP, 4 streams, Mbit/s (× wireguard-go)', (f) => f.tcp4Mbps, 0, true),
    table('Ping RTT under 1-stream load, median ms', (f) => f.rttLoadedMedianMs, 1, false),
    table('Ping RTT idle, median ms', (f) => f.rttIdleMedianMs, 2, false),
    table('CPU seconds per GB moved (both endpoint daemons)', (f) => f.cpuSecondsPerGB, 1, false),
    `Median (min–max) of ${runs} run${runs > 1 ? 's' : ''}. Columns: round-trip time added, random loss per packet in each direction. The underlay row is the wire's own ceiling under that condition.`,
  ].join('\n\n');
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const COLORS = ['#888', '#c9a227', '#8e6cc2', '#2e9e5b', '#3b7dd8', '#1f4e94', '#e07b39', '#a8461a', '#444'];

/** Single-stream TCP per path, one group of bars per WAN cell (log-free linear scale, wire ceiling cut). */
export function wanSvg(cells: readonly WanCellResult[], title: string): string {
  const paths = cells[0]?.results ?? [];
  const left = 60;
  const groupW = 130;
  const barW = Math.max(6, Math.floor((groupW - 20) / Math.max(1, paths.length)));
  const height = 260;
  const top = 50;
  const tunnels = cells.flatMap((c) =>
    c.results.filter((r) => r.layer !== 'underlay' && r.figures).map((r) => r.figures!.tcp1Mbps.median),
  );
  const maxV = Math.max(1, ...tunnels.filter(Number.isFinite)) * 1.1;
  const y = (v: number) => top + height - (Math.min(v, maxV) / maxV) * height;
  const out: string[] = [];
  out.push(`<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`);
  paths.forEach((p, i) => {
    const lx = left + (i % 5) * 170;
    const ly = top + height + 50 + Math.floor(i / 5) * 16;
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 16}" y="${ly}" font-size="11">${esc(p.label)}</text>`);
  });
  for (let t = 0; t <= 4; t++) {
    const v = (maxV / 4) * t;
    out.push(
      `<line x1="${left}" x2="${left + cells.length * groupW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" font-size="10" text-anchor="end">${v.toFixed(0)}</text>`,
    );
  }
  cells.forEach((c, ci) => {
    const gx = left + ci * groupW + 10;
    out.push(
      `<text x="${gx + (paths.length * barW) / 2}" y="${top + height + 16}" font-size="11" text-anchor="middle">${esc(cellLabel(c))}</text>`,
    );
    c.results.forEach((r, pi) => {
      const v = r.figures?.tcp1Mbps.median ?? Number.NaN;
      if (!Number.isFinite(v)) return;
      const x = gx + pi * barW;
      out.push(
        `<rect x="${x}" y="${y(v).toFixed(1)}" width="${barW - 1}" height="${(top + height - y(v)).toFixed(1)}" fill="${COLORS[pi % COLORS.length]}"><title>${esc(r.label)}: ${v.toFixed(0)} Mbit/s</title></rect>`,
      );
    });
  });
  out.push(
    `<text x="10" y="${top - 10}" font-size="11">TCP 1 stream, Mbit/s (median); bars above the scale (the underlay) are cut</text>`,
  );
  const w = left + cells.length * groupW + 20;
  const h = top + height + 50 + Math.ceil(paths.length / 5) * 16 + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
${out.join('\n')}
</svg>
`;
}
