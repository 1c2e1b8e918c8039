import type { Summary } from './stats.js';

export interface PathFigures {
  tcp1Mbps: Summary;
  tcp4Mbps: Summary;
  udp64Kpps: Summary;
  rttIdleMedianMs: Summary;
  rttIdleP99Ms: Summary;
  rttLoadedMedianMs: Summary;
  rttLoadedP99Ms: Summary;
  cpuSecondsPerGB: Summary;
  peakRssMiB: Summary;
  startToFirstPingS: Summary;
}

export interface PathResult {
  id: string;
  label: string;
  layer: string;
  unavailable?: string;
  errors: string[];
  figures?: PathFigures;
}

function fmt(s: Summary | undefined, digits: number): string {
  if (!s || !Number.isFinite(s.median)) return '—';
  const d = (x: number) => x.toFixed(digits);
  if (s.samples.length <= 1 || s.min === s.max) return d(s.median);
  return `${d(s.median)} (${d(s.min)}–${d(s.max)})`;
}

export function markdownTable(results: readonly PathResult[], runs: number): string {
  const head =
    '| path | layer | TCP 1 stream Mbit/s | TCP 4 streams Mbit/s | UDP 64 B kpps | RTT idle median / p99 ms | RTT under load median / p99 ms | CPU s/GB | peak RSS MiB | start → first ping s |\n' +
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |';
  const rows = results.map((r) => {
    if (r.unavailable) return `| ${r.label} | ${r.layer} | not run: ${r.unavailable} | | | | | | | |`;
    const f = r.figures;
    if (!f) return `| ${r.label} | ${r.layer} | failed: ${r.errors[0] ?? '?'} | | | | | | | |`;
    return `| ${r.label} | ${r.layer} | ${fmt(f.tcp1Mbps, 0)} | ${fmt(f.tcp4Mbps, 0)} | ${fmt(f.udp64Kpps, 1)} | ${fmt(
      f.rttIdleMedianMs,
      2,
    )} / ${fmt(f.rttIdleP99Ms, 2)} | ${fmt(f.rttLoadedMedianMs, 2)} / ${fmt(f.rttLoadedP99Ms, 2)} | ${fmt(
      f.cpuSecondsPerGB,
      1,
    )} | ${fmt(f.peakRssMiB, 0)} | ${fmt(f.startToFirstPingS, 2)} |`;
  });
  return `${head}\n${rows.join('\n')}\n\nMedian (min–max) of ${runs} run${runs > 1 ? 's' : ''}.`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Bar {
  value: number;
  min: number;
  max: number;
  color: string;
}

/** One horizontal bar panel: a group of bars per path, range whiskers, a linear scale from 0. */
function panel(
  title: string,
  unit: string,
  y0: number,
  rows: { label: string; bars: Bar[] }[],
  legend: { name: string; color: string }[],
  /** Scale maximum; longer bars are cut at the edge (the underlay would dwarf every tunnel). */
  clipAt?: number,
): { svg: string; height: number } {
  const left = 210;
  const width = 500;
  const barH = 12;
  const groupGap = 10;
  const maxV =
    clipAt ?? Math.max(1e-9, ...rows.flatMap((r) => r.bars.map((b) => (Number.isFinite(b.max) ? b.max : 0))));
  const scale = (v: number) => (Math.min(v, maxV) / maxV) * width;
  const out: string[] = [];
  out.push(`<text x="10" y="${y0 + 16}" font-size="14" font-weight="bold">${esc(title)}</text>`);
  legend.forEach((l, i) => {
    out.push(`<rect x="${left + i * 150}" y="${y0 + 6}" width="12" height="12" fill="${l.color}"/>`);
    out.push(`<text x="${left + i * 150 + 16}" y="${y0 + 16}" font-size="11">${esc(l.name)}</text>`);
  });
  let y = y0 + 30;
  for (const r of rows) {
    const gh = r.bars.length * barH;
    out.push(
      `<text x="${left - 6}" y="${y + gh / 2 + 4}" font-size="11" text-anchor="end">${esc(r.label)}</text>`,
    );
    for (const b of r.bars) {
      if (Number.isFinite(b.value)) {
        out.push(
          `<rect x="${left}" y="${y}" width="${scale(b.value).toFixed(1)}" height="${barH - 2}" fill="${b.color}"/>`,
        );
        if (b.max > b.min) {
          const cy = y + (barH - 2) / 2;
          out.push(
            `<line x1="${(left + scale(b.min)).toFixed(1)}" x2="${(left + scale(b.max)).toFixed(1)}" y1="${cy}" y2="${cy}" stroke="#222" stroke-width="1"/>`,
          );
        }
        const cut = b.value > maxV ? ' (cut)' : '';
        out.push(
          `<text x="${(left + scale(Math.max(b.value, b.max)) + 4).toFixed(1)}" y="${y + barH - 3}" font-size="10">${
            b.value >= 100 ? b.value.toFixed(0) : b.value.toFixed(2)
          } ${esc(unit)}${cut}</text>`,
        );
      } else {
        out.push(`<text x="${left + 4}" y="${y + barH - 3}" font-size="10" fill="#888">n/a</text>`);
      }
      y += barH;
    }
    y += groupGap;
  }
  return { svg: out.join('\n'), height: y - y0 };
}

/** 1.1 x the largest value over the tunnels (the underlay row does not set the scale). */
function tunnelMax(rows: readonly PathResult[], pick: (f: PathFigures) => number[]): number | undefined {
  const v = rows
    .filter((r) => r.layer !== 'underlay')
    .flatMap((r) => pick(r.figures!).filter(Number.isFinite));
  return v.length ? Math.max(...v) * 1.1 : undefined;
}

export function svgChart(results: readonly PathResult[], title: string): string {
  const ok = results.filter((r) => r.figures);
  const bar = (s: Summary, color: string): Bar => ({ value: s.median, min: s.min, max: s.max, color });
  const tp = panel(
    'Throughput (iperf3 TCP, Mbit/s; line = range)',
    'Mbit/s',
    30,
    ok.map((r) => ({
      label: r.label,
      bars: [bar(r.figures!.tcp1Mbps, '#3b7dd8'), bar(r.figures!.tcp4Mbps, '#9cc3f0')],
    })),
    [
      { name: '1 stream', color: '#3b7dd8' },
      { name: '4 streams', color: '#9cc3f0' },
    ],
    tunnelMax(ok, (f) => [f.tcp1Mbps.max, f.tcp4Mbps.max]),
  );
  const rt = panel(
    'Ping RTT median (ms)',
    'ms',
    30 + tp.height + 10,
    ok.map((r) => ({
      label: r.label,
      bars: [bar(r.figures!.rttIdleMedianMs, '#e07b39'), bar(r.figures!.rttLoadedMedianMs, '#f3c19c')],
    })),
    [
      { name: 'idle', color: '#e07b39' },
      { name: 'under TCP load', color: '#f3c19c' },
    ],
    tunnelMax(ok, (f) => [f.rttIdleMedianMs.max, f.rttLoadedMedianMs.max]),
  );
  const h = 30 + tp.height + 10 + rt.height + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="860" height="${h}" viewBox="0 0 860 ${h}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>
${tp.svg}
${rt.svg}
</svg>
`;
}
