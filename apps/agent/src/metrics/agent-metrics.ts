import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { AgentStatus } from '../localapi/schema.js';

type Labels<T extends string> = Partial<Record<T, string | number>>;

/**
 * The agent's Prometheus metrics (`rtcmesh up --metrics-listen`). Everything is read from one status
 * snapshot per scrape (the same numbers `rtcmesh status --json` shows), so a scrape costs one
 * status() and nothing runs between scrapes; only link state changes are counted as they happen.
 * Counters that the agent keeps itself are exposed as Prometheus counters (reset to the snapshot's
 * value at each scrape: they only grow while the agent runs, and restart at 0 with it).
 */
export class AgentMetrics {
  readonly registry = new Registry();
  private current: AgentStatus | undefined;
  private readonly linkChanges: Counter<'peer' | 'peer_id' | 'state'>;

  constructor(private readonly snapshot: () => AgentStatus) {
    const r = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'rtcmesh_agent_' });
    this.linkChanges = new Counter({
      name: 'rtcmesh_peer_link_changes_total',
      help: 'Link state changes per peer (up: the packet channel opened; down: it closed or the keepalive was lost)',
      labelNames: ['peer', 'peer_id', 'state'] as const,
      registers: r,
    });
    const self = this;
    const gauge = <T extends string>(
      name: string,
      help: string,
      labelNames: readonly T[],
      fill: (s: AgentStatus, set: (labels: Labels<T>, v: number) => void) => void,
    ) =>
      new Gauge<T>({
        name,
        help,
        labelNames,
        registers: r,
        collect() {
          this.reset();
          const s = self.current;
          if (s) fill(s, (labels, v) => this.set(labels as never, v));
        },
      });
    const counter = <T extends string>(
      name: string,
      help: string,
      labelNames: readonly T[],
      fill: (s: AgentStatus, set: (labels: Labels<T>, v: number) => void) => void,
    ) =>
      new Counter<T>({
        name,
        help,
        labelNames,
        registers: r,
        collect() {
          this.reset();
          const s = self.current;
          if (s) fill(s, (labels, v) => this.inc(labels as never, Math.max(0, v)));
        },
      });
    const peer = (p: AgentStatus['peers'][number]) => ({ peer: p.name, peer_id: p.id });

    gauge(
      'rtcmesh_agent_info',
      'The agent: version, node, network and mode (always 1)',
      ['version', 'node', 'node_id', 'network', 'mode'],
      (s, set) =>
        set(
          {
            version: s.version,
            node: s.node.name,
            node_id: s.node.id,
            network: s.network.name,
            mode: s.network.mode,
          },
          1,
        ),
    );
    gauge(
      'rtcmesh_server_connected',
      'The control session with the signaling server is up (1) or not (0)',
      [],
      (s, set) => set({}, s.server.connected ? 1 : 0),
    );
    gauge(
      'rtcmesh_health_degraded',
      'Something needs an operator (rtcmesh status says what): 1, else 0',
      [],
      (s, set) => set({}, s.health?.state === 'degraded' ? 1 : 0),
    );
    gauge('rtcmesh_peers', 'Peers by link state', ['state'], (s, set) => {
      const by = new Map<string, number>();
      for (const p of s.peers) by.set(p.state, (by.get(p.state) ?? 0) + 1);
      for (const [state, n] of by) set({ state }, n);
    });
    gauge(
      'rtcmesh_peer_up',
      'The link to the peer carries packets (1) or not (0)',
      ['peer', 'peer_id'],
      (s, set) => {
        for (const p of s.peers) set(peer(p), p.state === 'connected' ? 1 : 0);
      },
    );
    gauge(
      'rtcmesh_peer_path',
      'The path of the link to the peer (1 for the current one): direct or relay (TURN), and the WebRTC stack',
      ['peer', 'peer_id', 'path', 'transport'],
      (s, set) => {
        for (const p of s.peers)
          if (p.state === 'connected' && p.path)
            set({ ...peer(p), path: p.path, transport: p.transport ?? '' }, 1);
      },
    );
    gauge(
      'rtcmesh_peer_rtt_seconds',
      'Round-trip time to the peer over its link',
      ['peer', 'peer_id'],
      (s, set) => {
        for (const p of s.peers) if (p.rttMs !== null) set(peer(p), p.rttMs / 1000);
      },
    );
    gauge('rtcmesh_peer_loss_ratio', 'Keepalive loss to the peer (0..1)', ['peer', 'peer_id'], (s, set) => {
      for (const p of s.peers) if (p.lossPct !== null) set(peer(p), p.lossPct / 100);
    });
    for (const [name, key, help] of [
      ['rtcmesh_peer_transmit_bytes_total', 'txBytes', 'Bytes sent to the peer over its link'],
      ['rtcmesh_peer_receive_bytes_total', 'rxBytes', 'Bytes received from the peer over its link'],
      ['rtcmesh_peer_transmit_packets_total', 'txPackets', 'Frames or packets sent to the peer'],
      ['rtcmesh_peer_receive_packets_total', 'rxPackets', 'Frames or packets received from the peer'],
    ] as const)
      counter(name, help, ['peer', 'peer_id'], (s, set) => {
        for (const p of s.peers) set(peer(p), p[key]);
      });
    counter(
      'rtcmesh_peer_drops_total',
      'Packets to or from the peer dropped, by reason: link (the link could not take it: down or its queue full), acl (the access policy denied what the peer sent)',
      ['peer', 'peer_id', 'reason'],
      (s, set) => {
        for (const p of s.peers) {
          set({ ...peer(p), reason: 'link' }, p.drops);
          set({ ...peer(p), reason: 'acl' }, s.policy?.deniedByPeer[p.id] ?? 0);
        }
      },
    );
    counter(
      'rtcmesh_device_io_total',
      'TAP/TUN device I/O: framesRead, readBatches, framesWritten, writes (system calls), framesCoalesced, offloadSuperPackets, offloadSegments, …',
      ['device', 'counter'],
      (s, set) => {
        if (!s.device?.counters) return;
        for (const [k, v] of Object.entries(s.device.counters)) set({ device: s.device.name, counter: k }, v);
      },
    );
    counter(
      'rtcmesh_forward_total',
      'Forwarding engine counters (L2 switch or L3 router): packets, toPeer, toLocal, flooded, mssClamped, relayed, …',
      ['counter'],
      (s, set) => {
        for (const [k, v] of Object.entries(s.counters))
          if (!k.startsWith('drop.') && !k.startsWith('acl.') && k !== 'routes' && k !== 'macs')
            set({ counter: k }, v);
      },
    );
    counter(
      'rtcmesh_forward_drops_total',
      'Packets the forwarding engine dropped, by reason',
      ['reason'],
      (s, set) => {
        for (const [k, v] of Object.entries(s.counters))
          if (k.startsWith('drop.')) set({ reason: k.slice(5) }, v);
      },
    );
    gauge(
      'rtcmesh_forward_table_entries',
      'Entries in the forwarding table: routes (L3) or MACs (L2)',
      ['table'],
      (s, set) => {
        for (const k of ['routes', 'macs'])
          if (s.counters[k] !== undefined) set({ table: k }, s.counters[k]!);
      },
    );
    counter('rtcmesh_policy_denied_total', 'Packets the access policy denied', [], (s, set) =>
      set({}, s.policy?.denied ?? 0),
    );
    gauge('rtcmesh_policy_version', 'Version of the access policy in force', [], (s, set) => {
      if (s.policy) set({}, s.policy.version);
    });
    gauge('rtcmesh_routes_installed', 'Peers’ routes in the kernel (L3)', [], (s, set) => {
      if (s.routes) set({}, s.routes.installed.length);
    });
    gauge(
      'rtcmesh_mobility_hosts',
      'Workload hosts of a mobility prefix, here or at other sites',
      ['prefix', 'where'],
      (s, set) => {
        for (const m of s.mobility ?? []) {
          set({ prefix: m.prefix, where: 'here' }, m.local.filter((h) => h.state === 'claimed').length);
          set({ prefix: m.prefix, where: 'elsewhere' }, m.remote.length);
        }
      },
    );
  }

  /** A link came up or went down. */
  linkChanged(peer: { name: string; id: string }, up: boolean): void {
    this.linkChanges.inc({ peer: peer.name, peer_id: peer.id, state: up ? 'up' : 'down' });
  }

  /** The exposition (text format 0.0.4), from one status snapshot. */
  async text(): Promise<string> {
    this.current = this.snapshot();
    try {
      return await this.registry.metrics();
    } finally {
      this.current = undefined;
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
