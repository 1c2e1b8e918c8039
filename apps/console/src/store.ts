import type {
  AgentEvent,
  FeedEvent,
  JoinKeyInfo,
  LinkReport,
  NetworkSummary,
  NodeSummary,
  TelemetryEntry,
} from '@rtcmesh/protocol/browser';
import { api } from './api.js';

/** One sample of a link's history, accumulated from telemetry reports (the server keeps only the latest). */
export type LinkSample = { t: number; rttMs: number | null; txBps: number; rxBps: number };

/** What the events list shows: feed events that matter to an operator, plus what the console derives (MAC moves). */
export type ConsoleEvent = { seq: number; at: number; kind: string; networkId: string | null; text: string };

const HISTORY_MS = 10 * 60_000;
const MAX_SAMPLES = 400;
const MAX_EVENTS = 500;

export type State = {
  networks: Map<string, NetworkSummary>;
  nodes: Map<string, NodeSummary>;
  keys: Map<string, JoinKeyInfo>;
  /** Latest report per "nodeId>peerId". */
  links: Map<string, TelemetryEntry>;
  history: Map<string, LinkSample[]>;
  events: ConsoleEvent[];
  /** Which node each MAC was last seen at, to spot moves. */
  macSites: Map<string, string>;
  /** L3 mobility: which node advertises each workload host route, and since when (this console saw). */
  hostSites: Map<string, { nodeId: string; since: number | null }>;
  /** "Open in browser" sessions the agents reported (opened, then closed with bytes), by session id. */
  browserSessions: Map<string, BrowserSessionView>;
};

export type BrowserSessionView = {
  nodeId: string;
  principal: string;
  target: string;
  openedAt: number;
  state: 'open' | 'closed';
  bytesToBrowser: number;
  bytesFromBrowser: number;
  durationS: number | null;
};

const MAX_BROWSER_SESSIONS = 200;

export const linkKey = (nodeId: string, peerId: string): string => `${nodeId}>${peerId}`;

/** The console's model of the mesh: loaded once over REST, then kept current by the live feed. */
export class Store {
  state: State = empty();
  private readonly listeners = new Set<() => void>();
  private localSeq = -1;

  subscribe(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  /** Full reload (sign-in, feed resync). Keeps accumulated history. */
  async load(): Promise<number | undefined> {
    const [n, nodes, keys, tel, recent] = await Promise.all([
      api.networks(),
      api.nodes(),
      api.keys(),
      api.telemetry(),
      api.recentEvents(),
    ]);
    const s: State = { ...empty(), history: this.state.history, macSites: new Map(), hostSites: new Map() };
    for (const x of n.networks) s.networks.set(x.id, x);
    for (const x of nodes.nodes) s.nodes.set(x.nodeId, x);
    for (const x of keys.keys) s.keys.set(x.id, x);
    for (const e of tel.links) s.links.set(linkKey(e.nodeId, e.link.peerId), e);
    this.state = s;
    for (const node of nodes.nodes) {
      this.trackMacs(node, false);
      this.trackHosts(node, false);
    }
    for (const e of recent.events) {
      if (e.kind === 'agent-event') this.trackBrowserSession(e.nodeId, e.at, e.event);
      this.describe(e);
    }
    this.changed();
    return recent.events.at(-1)?.seq;
  }

  apply(e: FeedEvent): void {
    const s = this.state;
    switch (e.kind) {
      case 'presence': {
        const node = s.nodes.get(e.nodeId);
        if (node) s.nodes.set(e.nodeId, { ...node, online: e.online, lastSeen: e.at });
        this.recount(e.networkId);
        break;
      }
      case 'node':
        if (e.action === 'removed') {
          s.nodes.delete(e.nodeId);
          for (const k of [...s.links.keys()])
            if (k.startsWith(`${e.nodeId}>`) || k.endsWith(`>${e.nodeId}`)) s.links.delete(k);
        } else if (e.node) {
          this.trackMacs(e.node, true);
          this.trackHosts(e.node, true);
          s.nodes.set(e.nodeId, e.node);
        }
        this.recount(e.networkId);
        break;
      case 'network':
        if (e.action === 'deleted') {
          s.networks.delete(e.network.id);
          for (const [id, n] of s.nodes) if (n.networkId === e.network.id) s.nodes.delete(id);
          for (const [k, l] of s.links) if (l.networkId === e.network.id) s.links.delete(k);
        } else s.networks.set(e.network.id, e.network);
        break;
      case 'key':
        s.keys.set(e.key.id, e.key);
        break;
      case 'telemetry':
        for (const link of e.links) this.recordLink(e.networkId, e.nodeId, link, e.at);
        for (const peerId of e.gone ?? []) this.state.links.delete(linkKey(e.nodeId, peerId));
        break;
      case 'agent-event':
        this.trackBrowserSession(e.nodeId, e.at, e.event);
        break;
      default:
        break;
    }
    this.describe(e);
    this.changed();
  }

  /** A browser session's open and close, from its node's events (bytes and duration come with the close). */
  private trackBrowserSession(nodeId: string, at: number, ev: AgentEvent): void {
    const d = ev.details;
    if (ev.kind !== 'browser-session' || !d || typeof d.session !== 'string') return;
    const known = this.state.browserSessions.get(d.session);
    const num = (v: unknown) => (typeof v === 'number' ? v : 0);
    this.state.browserSessions.set(d.session, {
      nodeId,
      principal: String(d.principal ?? ''),
      target: String(d.target ?? ''),
      openedAt: known?.openedAt ?? at,
      state: d.state === 'closed' ? 'closed' : 'open',
      bytesToBrowser: num(d.bytesToBrowser),
      bytesFromBrowser: num(d.bytesFromBrowser),
      durationS: typeof d.durationS === 'number' ? d.durationS : null,
    });
    while (this.state.browserSessions.size > MAX_BROWSER_SESSIONS) {
      const oldest = this.state.browserSessions.keys().next().value;
      if (oldest === undefined) break;
      this.state.browserSessions.delete(oldest);
    }
  }

  private recount(networkId: string): void {
    const net = this.state.networks.get(networkId);
    if (!net) return;
    let nodeCount = 0;
    let onlineCount = 0;
    for (const n of this.state.nodes.values()) {
      if (n.networkId !== networkId) continue;
      nodeCount++;
      if (n.online) onlineCount++;
    }
    this.state.networks.set(networkId, { ...net, nodeCount, onlineCount });
  }

  private recordLink(networkId: string, nodeId: string, link: LinkReport, at: number): void {
    const key = linkKey(nodeId, link.peerId);
    const prev = this.state.links.get(key);
    this.state.links.set(key, { networkId, nodeId, receivedAt: at, link });
    const samples = this.state.history.get(key) ?? [];
    const dt = prev ? (at - prev.receivedAt) / 1000 : 0;
    const same = prev && prev.link.since === link.since && dt > 0;
    samples.push({
      t: at,
      rttMs: link.rttMs ?? null,
      txBps: same ? Math.max(0, ((link.txBytes - prev.link.txBytes) * 8) / dt) : 0,
      rxBps: same ? Math.max(0, ((link.rxBytes - prev.link.rxBytes) * 8) / dt) : 0,
    });
    while (samples.length > MAX_SAMPLES || (samples[0] && samples[0].t < at - HISTORY_MS)) samples.shift();
    this.state.history.set(key, samples);
  }

  /** L2: a MAC that shows up at another node than before has moved sites. */
  private trackMacs(node: NodeSummary, report: boolean): void {
    for (const b of node.bindings) {
      const before = this.state.macSites.get(b.mac);
      this.state.macSites.set(b.mac, node.nodeId);
      if (report && before && before !== node.nodeId) {
        this.push({
          seq: this.localSeq--,
          at: Date.now(),
          kind: 'mac-move',
          networkId: node.networkId,
          text: `MAC ${b.mac} moved from ${this.name(before)} to ${node.name}`,
        });
      }
    }
  }

  /** L3 mobility: a workload's host route that shows up at another node moved there now. */
  private trackHosts(node: NodeSummary, live: boolean): void {
    for (const ip of mobileHosts(node)) {
      const before = this.state.hostSites.get(ip);
      if (before?.nodeId === node.nodeId) continue;
      this.state.hostSites.set(ip, { nodeId: node.nodeId, since: live ? Date.now() : null });
    }
  }

  name(nodeId: string): string {
    return this.state.nodes.get(nodeId)?.name ?? nodeId;
  }

  private describe(e: FeedEvent): void {
    const text = describeEvent(e, (id) => this.name(id));
    if (!text) return;
    const networkId = 'networkId' in e ? e.networkId : e.kind === 'network' ? e.network.id : null;
    this.push({ seq: e.seq, at: e.at, kind: eventKind(e), networkId, text });
  }

  private push(ev: ConsoleEvent): void {
    if (ev.seq > 0 && this.state.events.some((x) => x.seq === ev.seq)) return;
    this.state.events.unshift(ev);
    if (this.state.events.length > MAX_EVENTS) this.state.events.length = MAX_EVENTS;
  }
}

function empty(): State {
  return {
    networks: new Map(),
    nodes: new Map(),
    keys: new Map(),
    links: new Map(),
    history: new Map(),
    events: [],
    macSites: new Map(),
    hostSites: new Map(),
    browserSessions: new Map(),
  };
}

/**
 * A node's workload host routes (`rtcmesh up --mobility`): /32s inside another prefix it advertises,
 * other than its own overlay address.
 */
export function mobileHosts(node: Pick<NodeSummary, 'routes' | 'addresses'>): string[] {
  const own = new Set(node.addresses.map((a) => a.slice(0, a.indexOf('/'))));
  const subnets = node.routes.filter((r) => !r.prefix.endsWith('/32') && !r.prefix.includes(':'));
  return node.routes
    .filter((r) => r.prefix.endsWith('/32'))
    .map((r) => r.prefix.slice(0, -3))
    .filter((ip) => !own.has(ip) && subnets.some((s) => inPrefix4(ip, s.prefix)));
}

function ip4(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

export function inPrefix4(ip: string, prefix: string): boolean {
  const [net = '', lenText = '32'] = prefix.split('/');
  const len = Number(lenText);
  const size = 2 ** (32 - len);
  return Math.floor(ip4(ip) / size) === Math.floor(ip4(net) / size);
}

function eventKind(e: FeedEvent): string {
  if (e.kind === 'agent-event') return e.event.kind;
  if (e.kind === 'presence') return e.online ? 'online' : 'offline';
  if (e.kind === 'node') return `node-${e.action}`;
  if (e.kind === 'key') return `key-${e.action}`;
  if (e.kind === 'audit') return 'audit';
  return e.kind;
}

function describeEvent(e: FeedEvent, name: (id: string) => string): string | null {
  switch (e.kind) {
    case 'presence':
      return `${name(e.nodeId)} ${e.online ? 'came online' : 'went offline'}`;
    case 'node':
      if (e.action === 'updated') return null;
      return e.action === 'joined' ? `${e.node?.name ?? e.nodeId} joined` : `${name(e.nodeId)} was removed`;
    case 'network':
      if (e.action === 'deleted') return `network ${e.network.name} deleted`;
      if (e.action === 'updated') {
        const l2 = e.network.l2;
        return `network ${e.network.name}: storm control ${l2?.stormPps ? `${l2.stormPps} pps` : 'off'}, DHCP filter ${l2?.blockDhcp ? 'on' : 'off'}`;
      }
      return `network ${e.network.name} created (${e.network.mode}, ${e.network.cidr}${e.network.cidr6 ? `, ${e.network.cidr6}` : ''})`;
    case 'key':
      return `join key ${e.key.id} ${e.action}`;
    case 'join-rejected':
      return `join rejected${e.name ? ` for ${e.name}` : ''}${e.remoteAddress ? ` from ${e.remoteAddress}` : ''}: ${e.code} (${e.reason})`;
    case 'agent-event':
      return `${name(e.nodeId)}: ${e.event.message}`;
    case 'telemetry':
      return null;
    case 'audit': {
      const a = e.entry;
      const target = a.target ? ` ${a.target}` : '';
      const source = a.source ? ` from ${a.source}` : '';
      const result = a.result === 'ok' ? '' : ` (refused: ${a.result})`;
      return `admin ${a.actor}: ${a.action}${target}${source}${result}`;
    }
  }
}
