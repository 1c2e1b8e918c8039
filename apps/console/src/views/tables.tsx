import type { Store } from '../store.js';

/** L2: every MAC the agents advertise (their learned bindings) with the site it lives at. */
export function MacTable({ store, networkId }: { store: Store; networkId: string }) {
  const rows = [...store.state.nodes.values()]
    .filter((n) => n.networkId === networkId)
    .flatMap((n) => n.bindings.map((b) => ({ ...b, site: n.name, own: b.mac === n.mac, online: n.online })))
    .sort((x, y) => x.mac.localeCompare(y.mac));
  const moves = store.state.events
    .filter((e) => e.kind === 'mac-move' && e.networkId === networkId)
    .slice(0, 10);
  return (
    <section class="card">
      <h2>MAC table and ARP bindings</h2>
      <div class="scroll">
        <table class="macs">
          <thead>
            <tr>
              <th>MAC</th>
              <th>IPs (ARP/ND)</th>
              <th>Site</th>
              <th>Seq</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td colSpan={4} class="muted">
                  No bindings advertised yet.
                </td>
              </tr>
            )}
            {rows.map((r) => (
              <tr key={r.mac} data-mac={r.mac}>
                <td class="mono">{r.mac}</td>
                <td>{r.ips.join(', ') || '–'}</td>
                <td>
                  {r.site} {r.own && <span class="muted">(agent)</span>}{' '}
                  {!r.online && <span class="status offline">offline</span>}
                </td>
                <td>{r.seq}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>MAC moves</h3>
      {moves.length === 0 ? (
        <p class="muted">None seen.</p>
      ) : (
        <ul class="plain">
          {moves.map((m) => (
            <li key={m.seq}>
              {new Date(m.at).toLocaleTimeString()} — {m.text}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** L3: host routes (each node's own address) and the subnets nodes advertise, with their owner. */
export function RouteTable({ store, networkId }: { store: Store; networkId: string }) {
  const rows = [...store.state.nodes.values()]
    .filter((n) => n.networkId === networkId)
    .flatMap((n) => [
      ...n.addresses.map((a) => ({
        prefix: `${a.slice(0, a.indexOf('/'))}/32`,
        owner: n.name,
        kind: 'host',
        online: n.online,
      })),
      ...n.routes
        .filter((r) => !n.addresses.some((a) => r.prefix === `${a.slice(0, a.indexOf('/'))}/32`))
        .map((r) => ({ prefix: r.prefix, owner: n.name, kind: 'subnet', online: n.online })),
    ])
    .sort((x, y) => x.prefix.localeCompare(y.prefix, undefined, { numeric: true }));
  return (
    <section class="card">
      <h2>Route table</h2>
      <div class="scroll">
        <table class="routes">
          <thead>
            <tr>
              <th>Prefix</th>
              <th>Kind</th>
              <th>Owner</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.prefix} data-prefix={r.prefix}>
                <td class="mono">{r.prefix}</td>
                <td>{r.kind}</td>
                <td>
                  {r.owner} {!r.online && <span class="status offline">offline</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
