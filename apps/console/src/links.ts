import type { TelemetryEntry } from '@rtcmesh/protocol/browser';
import { type LinkSample, linkKey, type State } from './store.js';

/** One pair of nodes as the console shows it: both ends' reports merged. */
export type PairView = {
  a: string;
  b: string;
  networkId: string;
  /** a's report about b, b's report about a (either may be missing). */
  ab: TelemetryEntry | undefined;
  ba: TelemetryEntry | undefined;
  path: 'direct' | 'relay' | null;
  state: string;
  rttMs: number | null;
  lossPct: number | null;
  txBps: number;
  rxBps: number;
  bytes: number;
  since: number | null;
  candidates: string;
  /** Frames/packets the access policy denied on this pair: a denied from b, b denied from a (null: no report). */
  aclDenied: [number | null, number | null];
};

export const pairId = (a: string, b: string): string => (a < b ? `${a}~${b}` : `${b}~${a}`);

/** Every pair of nodes with at least one report, plus every pair of online nodes of one network. */
export function pairs(s: State, networkId?: string): PairView[] {
  const seen = new Map<string, PairView>();
  const add = (a0: string, b0: string, net: string): void => {
    const [a, b] = a0 < b0 ? [a0, b0] : [b0, a0];
    const id = pairId(a, b);
    if (seen.has(id)) return;
    const ab = s.links.get(linkKey(a, b));
    const ba = s.links.get(linkKey(b, a));
    const main = ab ?? ba;
    const last = (k: string): LinkSample | undefined => s.history.get(k)?.at(-1);
    const h = last(linkKey(a, b)) ?? last(linkKey(b, a));
    seen.set(id, {
      a,
      b,
      networkId: net,
      ab,
      ba,
      path: main?.link.path ?? null,
      state: main?.link.state ?? 'no report',
      rttMs: main?.link.rttMs ?? null,
      // Loss of tunnelled packets when the packet track measures it, else of keepalives.
      lossPct: main?.link.pathLossPct ?? main?.link.lossPct ?? null,
      txBps: h?.txBps ?? 0,
      rxBps: h?.rxBps ?? 0,
      bytes: main ? main.link.txBytes + main.link.rxBytes : 0,
      since: main?.link.since ?? null,
      candidates: main?.link.localCandidateType
        ? `${main.link.localCandidateType} → ${main.link.remoteCandidateType ?? '?'}`
        : '–',
      aclDenied: [ab?.link.aclDenied ?? null, ba?.link.aclDenied ?? null],
    });
  };
  for (const e of s.links.values()) {
    if (networkId && e.networkId !== networkId) continue;
    if (!s.nodes.has(e.nodeId) || !s.nodes.has(e.link.peerId)) continue;
    add(e.nodeId, e.link.peerId, e.networkId);
  }
  const online = [...s.nodes.values()].filter((n) => n.online && (!networkId || n.networkId === networkId));
  for (const x of online)
    for (const y of online)
      if (x.nodeId < y.nodeId && x.networkId === y.networkId) add(x.nodeId, y.nodeId, x.networkId);
  return [...seen.values()].sort((p, q) => (p.a + p.b).localeCompare(q.a + q.b));
}
