import type { AgentStatus, NetcheckReport, PeerStatus, Settings } from '../localapi/schema.js';
import { formatPolicyStatus } from '../policy/status-schema.js';

/** Human-readable renderings for the CLI; `--json` prints the validated objects instead. */
/** The settings in effect, one per line (`rtcmesh set`, `rtcmesh status`). */
export function formatSettings(s: Settings): string {
  return [
    `advertise-routes  ${s.advertiseRoutes.join(',') || '(none)'}`,
    `accept-routes     ${s.acceptRoutes}`,
    `log-level         ${s.logLevel}`,
    `mobility          ${s.mobility?.join(' ') || '(none)'}`,
    `exit-node         ${s.exitNode ?? '(none)'}${s.advertiseExitNode ? ' (this node offers itself as one)' : ''}`,
    `transport         ${s.transport}${s.offload ? '' : ' (no offload)'}`,
    `direct-port       ${s.directPort ?? 'off'}`,
    `offline-max-age   ${s.offlineMaxAge ?? 'n/a'}`,
  ].join('\n');
}

export function formatStatus(s: AgentStatus): string {
  const lines: string[] = [];
  lines.push(
    `node     ${s.node.name} (${s.node.id})  ${s.node.addresses.join(' ')}${s.node.mac ? `  ${s.node.mac}` : ''}`,
  );
  lines.push(
    `network  ${s.network.name} (${s.network.mode.toUpperCase()}, ${s.network.cidr}${s.network.cidr6 ? `, ${s.network.cidr6}` : ''})`,
  );
  if (s.device) lines.push(`device   ${s.device.name} mtu ${s.device.mtu}${formatOffloads(s)}`);
  const io = s.device?.counters;
  if (io) {
    // What crossed the device, and how many system calls it took (coalescing and offloads at work).
    const dropped = (io.writeQueueDrops ?? 0) + (io.writeErrors ?? 0);
    lines.push(
      `         read ${io.framesRead ?? 0} frames in ${io.readBatches ?? 0} batches, wrote ${io.framesWritten ?? 0} in ${io.writes ?? 0} writes (${io.framesCoalesced ?? 0} coalesced)${dropped > 0 ? `, ${dropped} not written (queue full or errors)` : ''}`,
    );
  }
  const server = s.server.connected
    ? 'connected'
    : `disconnected${s.server.lastError ? ` (${s.server.lastError})` : ''}`;
  if (s.health?.state === 'degraded') for (const p of s.health.problems) lines.push(`DEGRADED ${p}`);
  lines.push(`server   ${s.server.url} ${server}`);
  if (s.networkMap?.source === 'cache')
    lines.push(
      `map      running from the cached network map (server last vouched ${s.networkMap.confirmedAt ?? 'never'}); links re-signal directly on UDP ${s.networkMap.directPort ?? '(off)'}`,
    );
  lines.push(...formatPolicyStatus(s.policy, s.network.mode, s.peers));
  if (s.routes) {
    const r = s.routes;
    const via = r.installed.length > 0 ? r.installed.join(' ') : 'none';
    lines.push(`routes   ${via}${r.acceptRoutes ? '' : ' (subnet routes not accepted: --accept-routes)'}`);
    if (r.exitNode)
      lines.push(
        `exit     ${r.exitNode.name}: ${r.exitNode.active ? `default traffic goes through it (${r.exitNode.bypasses} underlay addresses kept outside)` : 'waiting for its approved exit route'}`,
      );
    if (r.offersExit) lines.push('exit     this node is an exit node (forwarding and NAT on)');
    for (const p of r.primaries ?? [])
      lines.push(`primary  ${p.prefix} via ${p.primary} (standby: ${p.standby.join(', ') || 'none'})`);
    // A refused route is a security event or a misconfiguration: always spelled out.
    for (const x of r.refused)
      lines.push(
        x.kind === 'unsafe'
          ? `refused  route ${x.prefix} from ${x.peerName}: ${x.reason}`
          : `offered  route ${x.prefix} from ${x.peerName} (not accepted)`,
      );
  }
  for (const b of s.browserSessions ?? [])
    lines.push(
      `browser  ${b.principal} → ${b.target}: ${b.activeStreams}/${b.streams} streams, ` +
        `${b.bytesToBrowser} B to the browser, ${b.bytesFromBrowser} B from it, open ${Math.round((Date.now() - b.openedAt) / 1000)} s`,
    );
  if (s.dns)
    lines.push(
      `dns      ${s.node.name}: answers *.${s.dns.zone} on ${s.dns.listen}${s.dns.resolver === 'systemd-resolved' ? ' (the host asks it: systemd-resolved)' : ` (the host does not ask it: ${s.dns.reason ?? 'not registered'})`}`,
    );
  lines.push(...formatMobility(s.mobility));
  if (s.peers.length === 0) {
    lines.push('peers    none');
    return lines.join('\n');
  }
  lines.push('');
  const header = [
    'PEER',
    'ADDRESSES',
    'STATE',
    'PATH',
    'CARRIED',
    'RTT',
    'LOSS',
    'TX',
    'RX',
    'DROPS',
    'ENDPOINT',
  ];
  const rows = s.peers.map((p) => peerRow(p));
  lines.push(...table([header, ...rows]));
  // Refusals are security events: spell them out under the table rather than in a column.
  for (const p of s.peers) if (p.refused) lines.push(`refused  ${p.name}: ${p.refused}`);
  // A stack other than the one asked for: say why (TURN over TCP/TLS, native module missing).
  for (const p of s.peers)
    if (p.transport && p.transportReason && /TCP\/TLS|did not load/.test(p.transportReason))
      lines.push(`stack    ${p.name}: ${p.transport} (${p.transportReason})`);
  return lines.join('\n');
}

/** "  offloads tso4,tso6,uso,csum  merged writes": what the kernel does for the device's I/O. */
function formatOffloads(s: AgentStatus): string {
  const d = s.device;
  if (!d?.offloads) return '';
  const on = (['tso4', 'tso6', 'uso', 'checksum'] as const).filter((k) => d.offloads?.[k]);
  return `  offloads ${on.length ? on.join(',') : 'off'}${d.coalescing ? '  merged writes' : ''}`;
}

function peerRow(p: PeerStatus): string[] {
  return [
    p.name,
    p.addresses.join(','),
    p.refused ? 'refused' : p.online ? p.state : 'offline',
    p.path
      ? `${p.path}${p.localCandidateType ? ` (${p.localCandidateType}/${p.remoteCandidateType ?? '?'})` : ''}`
      : '-',
    carried(p),
    p.rttMs === null ? '-' : `${p.rttMs.toFixed(1)}ms`,
    // Loss of tunnelled packets on the path when the packet track measures it, else of keepalives.
    p.pathLossPct !== null && p.pathLossPct !== undefined
      ? `${p.pathLossPct.toFixed(p.pathLossPct < 10 ? 2 : 0)}%`
      : p.lossPct === null
        ? '-'
        : `${p.lossPct.toFixed(0)}%`,
    formatBytes(p.txBytes),
    formatBytes(p.rxBytes),
    String(p.drops),
    p.remoteAddress ?? '-',
  ];
}

/** "rtp/libdatachannel": how frames cross the link (packet track or data channel) and on which stack. */
function carried(p: PeerStatus): string {
  if (!p.transport) return '-';
  const path = p.packetPath === 'rtp' ? 'rtp' : p.packetPath === 'datachannel' ? 'sctp' : '?';
  return `${path}/${p.transport}`;
}

export function formatNetcheck(r: NetcheckReport): string {
  const lines = [
    `UDP              ${r.udp ? 'yes' : 'no'}`,
    `public address   ${r.publicAddress ?? 'unknown'}`,
    `NAT mapping      ${r.natType}${r.mappingVariesByDestination ? ' (varies by destination: direct links need the relay)' : ''}`,
  ];
  for (const s of r.stun) lines.push(`stun ${s.server}  ${s.ok ? `ok ${s.mapped}` : `failed: ${s.error}`}`);
  for (const t of r.turn)
    lines.push(
      `turn ${t.transport.padEnd(3)} ${t.url}  ${t.ok ? `ok ${t.rttMs?.toFixed(1)}ms` : `failed: ${t.error}`}`,
    );
  return lines.join('\n');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)}${units[i]}`;
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

/** `--mobility`: where each workload host of each prefix is, and the last moves. */
function formatMobility(list: AgentStatus['mobility']): string[] {
  const lines: string[] = [];
  const now = Date.now();
  const age = (t: number) => `${Math.max(0, Math.round((now - t) / 1000))}s`;
  for (const m of list ?? []) {
    lines.push(
      `mobility ${m.prefix} on ${m.bridge}: anycast gateway ${m.gateway} (${m.mac}), ${m.local.filter((h) => h.state === 'claimed').length} hosts here, ${m.remote.length} at other sites`,
    );
    for (const h of m.local) {
      const note =
        h.state === 'claimed'
          ? ''
          : h.state === 'probing'
            ? ' (claimed elsewhere: probing it here)'
            : ' (seen here, not advertised)';
      const damped = h.dampedUntil ? ` DAMPED for ${Math.round((h.dampedUntil - now) / 1000)}s` : '';
      lines.push(`  here   ${h.ip} ${h.mac} seq ${h.seq} since ${age(h.since)}${note}${damped}`);
    }
    for (const h of m.remote) lines.push(`  remote ${h.ip} at ${h.node} seq ${h.seq}`);
    for (const mv of m.moves.slice(-5))
      lines.push(
        `  moved  ${mv.ip} ${mv.from ?? '(new)'} -> ${mv.to ?? '(gone)'} seq ${mv.seq}, ${age(mv.at)} ago`,
      );
  }
  return lines;
}
