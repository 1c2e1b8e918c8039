import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { LinkSample } from './store.js';

/** RTT (left axis, ms) and traffic (right axis, bit/s) of one link over the last minutes. */
export function LinkChart({ samples }: { samples: LinkSample[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = (): uPlot.AlignedData => [
    samples.map((s) => s.t / 1000),
    samples.map((s) => s.rttMs),
    samples.map((s) => s.txBps / 1000),
    samples.map((s) => s.rxBps / 1000),
  ];
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(260, el.clientWidth);
    const css = getComputedStyle(document.documentElement);
    const fg = css.getPropertyValue('--muted').trim() || '#888';
    const axis = { stroke: fg, grid: { stroke: 'rgba(128,128,128,0.15)' }, ticks: { stroke: fg } };
    plot.current = new uPlot(
      {
        width,
        height: 180,
        series: [
          {},
          { label: 'RTT ms', stroke: '#2f80ed', width: 2, scale: 'ms', spanGaps: true },
          { label: 'tx kbit/s', stroke: '#27ae60', width: 1.5, scale: 'kb' },
          { label: 'rx kbit/s', stroke: '#e67e22', width: 1.5, scale: 'kb', dash: [6, 4] },
        ],
        axes: [
          axis,
          { ...axis, scale: 'ms', label: 'RTT (ms)' },
          { ...axis, scale: 'kb', side: 1, label: 'kbit/s' },
        ],
        legend: { show: true },
      },
      data(),
      el,
    );
    const ro = new ResizeObserver(() =>
      plot.current?.setSize({ width: Math.max(260, el.clientWidth), height: 180 }),
    );
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);
  useEffect(() => {
    plot.current?.setData(data());
  });
  return (
    <div class="chart" ref={box}>
      {samples.length < 2 && <p class="muted">Collecting samples from the live feed…</p>}
    </div>
  );
}
