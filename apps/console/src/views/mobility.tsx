import { inPrefix4, mobileHosts, type Store } from '../store.js';
import { Table } from './ui.js';

/**
 * L3 routed mobility (`rtcmesh up --mobility`): per workload prefix, the site each host runs at now
 * (the node advertising its /32), its sequence number (it grows at every move), since when this
 * console has seen it there, and the moves the sites reported.
 */
export function MobilityTable({ store, networkId }: { store: Store; networkId: string }) {
  const nodes = [...store.state.nodes.values()].filter((n) => n.networkId === networkId);
  const rows = nodes
    .flatMap((n) =>
      mobileHosts(n).map((ip) => {
        const prefix =
          n.routes.find((r) => !r.prefix.endsWith('/32') && inPrefix4(ip, r.prefix))?.prefix ?? '';
        const seq = n.routes.find((r) => r.prefix === `${ip}/32`)?.seq ?? 0;
        return { ip, prefix, site: n.name, nodeId: n.nodeId, seq, online: n.online };
      }),
    )
    .sort(
      (x, y) => x.prefix.localeCompare(y.prefix) || x.ip.localeCompare(y.ip, undefined, { numeric: true }),
    );
  const moves = store.state.events
    .filter((e) => (e.kind === 'host-move' || e.kind === 'host-flap') && e.networkId === networkId)
    .slice(0, 10);
  if (rows.length === 0 && moves.length === 0) return null;
  const since = (ip: string, nodeId: string) => {
    const s = store.state.hostSites.get(ip);
    return s?.nodeId === nodeId && s.since ? new Date(s.since).toLocaleTimeString() : '–';
  };
  return (
    <section class="card">
      <h2>Workload mobility</h2>
      <Table class="mobility" columns={['Prefix', 'Host', 'Site', 'Seq', 'Since']}>
        {rows.map((r) => (
          <tr key={`${r.nodeId} ${r.ip}`} data-host={r.ip} data-site={r.site}>
            <td class="mono">{r.prefix}</td>
            <td class="mono">{r.ip}</td>
            <td>
              {r.site} {!r.online && <span class="status offline">offline</span>}
            </td>
            <td>{r.seq}</td>
            <td>{since(r.ip, r.nodeId)}</td>
          </tr>
        ))}
      </Table>
      <h3>Moves</h3>
      {moves.length === 0 ? (
        <p class="muted">None seen.</p>
      ) : (
        <ul class="plain">
          {moves.map((m) => (
            <li key={m.seq} data-kind={m.kind}>
              {new Date(m.at).toLocaleTimeString()} — {m.text}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
