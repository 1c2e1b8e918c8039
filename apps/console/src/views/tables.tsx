import type { RouteInfo } from '@rtcmesh/protocol/browser';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { Store } from '../store.js';
import { Table } from './ui.js';

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
      <Table
        class="macs"
        columns={['MAC', 'IPs (ARP/ND)', 'Site', 'Seq']}
        empty={rows.length === 0 ? 'No bindings advertised yet.' : undefined}
      >
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
      </Table>
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

/**
 * L3: host routes (each node's own address) and the routes nodes advertise, with their owner and
 * their approval: a pending route reaches no member until an admin approves it here (or with
 * `rtcmesh-signal route approve`), or the policy's autoApprovers do.
 */
export function RouteTable({ store, networkId }: { store: Store; networkId: string }) {
  const [states, setStates] = useState<Map<string, RouteInfo>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const nodes = [...store.state.nodes.values()].filter((n) => n.networkId === networkId);
  // Reload the states when what is advertised changes (the feed updates the nodes).
  const advertised = nodes.map((n) => `${n.nodeId}:${n.routes.map((r) => r.prefix).join(',')}`).join(' ');
  const load = () =>
    api.routes(networkId).then(
      (r) => {
        setStates(new Map(r.routes.map((x) => [`${x.nodeId} ${x.prefix}`, x])));
        setError(null);
      },
      (err: Error) => setError(err.message),
    );
  useEffect(() => {
    void load();
  }, [networkId, advertised]);
  const decide = async (node: string, prefix: string, state: 'approved' | 'rejected') => {
    setBusy(true);
    try {
      await api.decideRoute(networkId, node, prefix, state);
      await load();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const rows = nodes
    .flatMap((n) => [
      ...n.addresses.map((a) => ({
        nodeId: n.nodeId,
        prefix: `${a.slice(0, a.indexOf('/'))}/32`,
        owner: n.name,
        kind: 'host',
        online: n.online,
      })),
      ...n.routes
        .filter((r) => !n.addresses.some((a) => r.prefix === `${a.slice(0, a.indexOf('/'))}/32`))
        .map((r) => ({
          nodeId: n.nodeId,
          prefix: r.prefix,
          owner: n.name,
          kind: 'subnet',
          online: n.online,
        })),
    ])
    .sort((x, y) => x.prefix.localeCompare(y.prefix, undefined, { numeric: true }));
  // HA subnet routers: where several nodes have one prefix approved, members forward to the one with a
  // live link, in node-id order (rtcmesh status shows each member's own choice); the console marks
  // the one every member picks while all links are up: online, smallest node id.
  const primaryOf = new Map<string, { primary: string | undefined; count: number }>();
  for (const r of rows) {
    if (r.kind !== 'subnet' || states.get(`${r.nodeId} ${r.prefix}`)?.state !== 'approved') continue;
    const c = primaryOf.get(r.prefix) ?? { primary: undefined, count: 0 };
    c.count++;
    if (r.online && (c.primary === undefined || r.nodeId < c.primary)) c.primary = r.nodeId;
    primaryOf.set(r.prefix, c);
  }
  const role = (nodeId: string, prefix: string, state: string): 'primary' | 'standby' | null => {
    const c = primaryOf.get(prefix);
    if (!c || c.count < 2 || state !== 'approved') return null;
    return c.primary === nodeId ? 'primary' : 'standby';
  };
  /** The button that moves a subnet route to `to`, where it is not there already. */
  const decideButton = (
    r: (typeof rows)[number],
    state: string,
    to: 'approved' | 'rejected',
    label: string,
  ) =>
    r.kind === 'subnet' &&
    state !== to && (
      <button type="button" disabled={busy} onClick={() => decide(r.owner, r.prefix, to)}>
        {label}
      </button>
    );
  return (
    <section class="card">
      <h2>Route table</h2>
      {error && <p class="error">{error}</p>}
      <Table class="routes" columns={['Prefix', 'Kind', 'Owner', 'State', '']}>
        {rows.map((r) => {
          const info = r.kind === 'host' ? undefined : states.get(`${r.nodeId} ${r.prefix}`);
          const state = r.kind === 'host' ? 'approved' : (info?.state ?? 'pending');
          return (
            <tr key={`${r.nodeId} ${r.prefix}`} data-prefix={r.prefix} data-state={state}>
              <td class="mono">{r.prefix}</td>
              <td>{r.kind}</td>
              <td>
                {r.owner} {!r.online && <span class="status offline">offline</span>}
              </td>
              <td>
                <span class={`status ${state}`}>{info?.auto ? 'approved (auto)' : state}</span>{' '}
                {role(r.nodeId, r.prefix, state) && (
                  <span class="badge" data-role={role(r.nodeId, r.prefix, state)}>
                    {role(r.nodeId, r.prefix, state)}
                  </span>
                )}
              </td>
              <td>
                {decideButton(r, state, 'approved', 'Approve')} {decideButton(r, state, 'rejected', 'Reject')}
              </td>
            </tr>
          );
        })}
      </Table>
    </section>
  );
}
