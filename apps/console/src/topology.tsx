import type { NodeSummary } from '@rtcmesh/protocol/browser';
import {
  forceCenter,
  forceCollide,
  forceLink,
  forceManyBody,
  forceSimulation,
  type SimulationNodeDatum,
} from 'd3-force';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ms } from './format.js';
import type { PairView } from './links.js';

type GNode = SimulationNodeDatum & { id: string };

/**
 * The mesh as a graph: nodes (green online, grey offline), one edge per pair, solid green when
 * direct, dashed orange when relayed, grey when there is no live link; labelled by RTT. The layout
 * (d3-force) is computed once per set of nodes and edges, so live updates do not make it jump.
 */
export function Topology(props: {
  nodes: NodeSummary[];
  pairs: PairView[];
  selected: string | null;
  /** Nodes and edges are SVG links: keyboard and middle-click work like anywhere else. */
  nodeHref: (id: string) => string;
  linkHref: (a: string, b: string) => string;
}) {
  // Portrait canvas on phones, so labels stay readable instead of shrinking with a wide drawing.
  const compact = useNarrow(600);
  const W = compact ? 360 : 640;
  const H = compact ? 520 : 420;
  const ids = props.nodes.map((n) => n.nodeId).join(',');
  const edges = props.pairs.map((p) => `${p.a}~${p.b}`).join(',');
  const pos = useMemo(() => {
    const nodes: GNode[] = props.nodes.map((n, i) => {
      const a = (2 * Math.PI * i) / Math.max(1, props.nodes.length);
      return { id: n.nodeId, x: W / 2 + (W / 4) * Math.cos(a), y: H / 2 + (H / 4) * Math.sin(a) };
    });
    const links = props.pairs.map((p) => ({ source: p.a, target: p.b }));
    const sim = forceSimulation(nodes)
      .force('charge', forceManyBody().strength(-600))
      .force(
        'link',
        forceLink<GNode, { source: string; target: string }>(links)
          .id((d) => d.id)
          .distance(compact ? 190 : 170),
      )
      .force('center', forceCenter(W / 2, H / 2))
      .force('collide', forceCollide(50))
      .stop();
    sim.tick(200);
    return fit(nodes, W, H);
  }, [ids, edges, compact]);

  return (
    <svg class="topology" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="mesh topology">
      {props.pairs.map((p) => {
        const a = pos.get(p.a);
        const b = pos.get(p.b);
        if (!a || !b) return null;
        const cls = p.state === 'connected' ? (p.path ?? 'none') : 'none';
        return (
          <a
            key={`${p.a}~${p.b}`}
            href={props.linkHref(p.a, p.b)}
            class={`edge ${cls}`}
            data-pair={`${p.a}~${p.b}`}
            aria-label={`link ${p.a} to ${p.b}`}
          >
            <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} class="hit" />
            <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} class="stroke" />
            <text x={(a.x + b.x) / 2} y={(a.y + b.y) / 2 - 6} class="edge-label">
              {cls === 'none' ? p.state : `${p.path} ${ms(p.rttMs)}`}
            </text>
          </a>
        );
      })}
      {props.nodes.map((n) => {
        const p = pos.get(n.nodeId);
        if (!p) return null;
        return (
          <a
            key={n.nodeId}
            href={props.nodeHref(n.nodeId)}
            class={`gnode ${n.online ? 'online' : 'offline'} ${props.selected === n.nodeId ? 'selected' : ''}`}
            data-node={n.name}
            aria-label={`node ${n.name}`}
          >
            <g transform={`translate(${p.x},${p.y})`}>
              <circle r="22" />
              <text y="40" class="node-label">
                {n.name}
              </text>
              <text y="54" class="node-sub">
                {n.addresses[0] ?? ''}
              </text>
            </g>
          </a>
        );
      })}
    </svg>
  );
}

/** True while the window is narrower than `px` (re-renders on resize and rotation). */
function useNarrow(px: number): boolean {
  const [narrow, setNarrow] = useState(() => window.innerWidth < px);
  useEffect(() => {
    const on = () => setNarrow(window.innerWidth < px);
    addEventListener('resize', on);
    return () => removeEventListener('resize', on);
  }, [px]);
  return narrow;
}

/** Scales and centres the layout into the canvas (margins leave room for labels), at most 3x. */
function fit(nodes: GNode[], w: number, h: number): Map<string, { x: number; y: number }> {
  const mx = 70;
  const top = 45;
  const bottom = 75;
  const xs = nodes.map((n) => n.x ?? 0);
  const ys = nodes.map((n) => n.y ?? 0);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = Math.min(3, (w - 2 * mx) / Math.max(1, x1 - x0), (h - top - bottom) / Math.max(1, y1 - y0));
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const midY = top + (h - top - bottom) / 2;
  const m = new Map<string, { x: number; y: number }>();
  for (const n of nodes)
    m.set(n.id, { x: w / 2 + ((n.x ?? cx) - cx) * scale, y: midY + ((n.y ?? cy) - cy) * scale });
  return m;
}
