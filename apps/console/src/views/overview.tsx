import { DEFAULT_L2_SETTINGS, type NetworkSummary, type NodeSummary } from '@rtcmesh/protocol/browser';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ago, bits, bytes, ms } from '../format.js';
import { go } from '../hooks.js';
import type { PairView } from '../links.js';
import type { Store } from '../store.js';
import { Table } from './ui.js';

export function Networks({ networks }: { networks: NetworkSummary[] }) {
  return (
    <section class="card">
      <h2>Networks</h2>
      <div class="cards">
        {networks.length === 0 && <p class="muted">No network yet: create one under Admin.</p>}
        {networks.map((n) => (
          <div class="net" key={n.id} data-network={n.name}>
            <strong>{n.name}</strong> <span class={`badge ${n.mode}`}>{n.mode.toUpperCase()}</span>
            {n.lockKeys?.length ? (
              <span class="badge locked" title={`node keys must be signed by: ${n.lockKeys.join(', ')}`}>
                locked
              </span>
            ) : null}
            <div class="muted">
              {n.cidr}
              {n.cidr6 ? <> · {n.cidr6}</> : null} · MTU {n.mtu}
            </div>
            {n.mode === 'l2' && <L2Settings network={n} />}
            <div class="big">
              <span data-testid="online-count">{n.onlineCount}</span>/{n.nodeCount} online
            </div>
          </div>
        ))}
      </div>
    </section>
  );
}

/**
 * An L2 network's storm control and DHCP filter, editable: members apply a change at once (the card
 * updates from the feed's `network updated` event).
 */
function L2Settings({ network }: { network: NetworkSummary }) {
  const l2 = network.l2 ?? DEFAULT_L2_SETTINGS;
  const [editing, setEditing] = useState(false);
  const [pps, setPps] = useState(String(l2.stormPps));
  const [dhcp, setDhcp] = useState(l2.blockDhcp);
  const [error, setError] = useState<string | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    const stormPps = Number(pps);
    if (!Number.isInteger(stormPps) || stormPps < 0)
      return setError('storm control: a whole number of frames per second (0: off)');
    try {
      await api.setL2Settings(network.id, { stormPps, blockDhcp: dhcp });
      setError(null);
      setEditing(false);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  if (!editing)
    return (
      <div class="muted" data-testid="l2-settings">
        storm {l2.stormPps > 0 ? `${l2.stormPps} pps` : 'off'} · DHCP filter {l2.blockDhcp ? 'on' : 'off'}{' '}
        <button type="button" class="link" onClick={() => setEditing(true)}>
          edit
        </button>
      </div>
    );
  return (
    <form class="inline" onSubmit={save}>
      <label>
        storm pps{' '}
        <input
          type="number"
          min="0"
          value={pps}
          onInput={(e) => setPps((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        <input
          type="checkbox"
          checked={dhcp}
          onChange={(e) => setDhcp((e.target as HTMLInputElement).checked)}
        />{' '}
        DHCP filter
      </label>
      <button type="submit">Save</button>
      <button type="button" onClick={() => setEditing(false)}>
        Cancel
      </button>
      {error && <div class="error">{error}</div>}
    </form>
  );
}

export function natOf(n: NodeSummary): string {
  const nc = n.netcheck;
  if (!nc) return '–';
  const v = nc.natType ?? nc.nat ?? nc.mapping;
  return v === undefined || v === null ? 'reported' : String(v);
}

export function Nodes({ nodes, store }: { nodes: NodeSummary[]; store: Store }) {
  const l2 = (id: string) => store.state.networks.get(id)?.mode === 'l2';
  // Only locked networks have signed node keys; the column appears when one exists.
  const anyLocked = nodes.some((n) => n.keySigned !== undefined);
  return (
    <section class="card">
      <h2>Nodes</h2>
      <Table
        class="nodes"
        columns={[
          'Name',
          'Status',
          'Address',
          'MAC',
          'Last seen',
          'Version',
          'Endpoint',
          'NAT',
          'Routes',
          'Tags',
          ...(anyLocked ? ['Key'] : []),
        ]}
      >
        {nodes.map((n) => (
          <tr key={n.nodeId} data-node={n.name} class="clickable" onClick={() => go(`#/node/${n.nodeId}`)}>
            <td>
              <a href={`#/node/${n.nodeId}`}>{n.name}</a>
            </td>
            <td>
              <span class={`status ${n.online ? 'online' : 'offline'}`}>
                {n.online ? 'online' : 'offline'}
              </span>
            </td>
            <td>{n.addresses.join(', ')}</td>
            <td class="mono">{l2(n.networkId) ? n.mac : '–'}</td>
            <td>{n.online ? 'now' : ago(n.lastSeen)}</td>
            <td>{n.agentVersion ?? '–'}</td>
            <td class="mono">{n.endpoint ?? '–'}</td>
            <td>{natOf(n)}</td>
            <td>{n.routes.map((r) => r.prefix).join(', ') || '–'}</td>
            <td data-tags={(n.tags ?? []).join(',')}>{(n.tags ?? []).join(', ') || '–'}</td>
            {anyLocked && (
              <td data-key-signed={String(n.keySigned ?? '')}>
                {n.keySigned === undefined ? '–' : n.keySigned ? 'signed' : 'NOT SIGNED (refused by peers)'}
              </td>
            )}
          </tr>
        ))}
      </Table>
    </section>
  );
}

export function Links({ pairs, store }: { pairs: PairView[]; store: Store }) {
  return (
    <section class="card">
      <h2>Links</h2>
      <Table
        class="links"
        columns={[
          'Pair',
          'State',
          'Path',
          'Candidates',
          'RTT',
          'Loss',
          'Throughput',
          'Bytes',
          'Since',
          { label: 'ACL denied', title: "frames/packets each end's access policy denied from the other" },
        ]}
        empty={pairs.length === 0 ? 'No links yet.' : undefined}
      >
        {pairs.map((p) => (
          <tr
            key={`${p.a}~${p.b}`}
            data-pair={[store.name(p.a), store.name(p.b)].sort().join('~')}
            class="clickable"
            onClick={() => go(`#/link/${p.a}/${p.b}`)}
          >
            <td>{[store.name(p.a), store.name(p.b)].sort().join(' ↔ ')}</td>
            <td>{p.state}</td>
            <td>
              <span class={`path ${p.path ?? 'none'}`}>{p.path ?? '–'}</span>
            </td>
            <td>{p.candidates}</td>
            <td>{ms(p.rttMs)}</td>
            <td>{p.lossPct === null ? '–' : `${p.lossPct.toFixed(1)} %`}</td>
            <td>
              ↑{bits(p.txBps)} ↓{bits(p.rxBps)}
            </td>
            <td>{bytes(p.bytes)}</td>
            <td>{p.since ? ago(p.since) : '–'}</td>
            <td data-acl-denied={(p.aclDenied[0] ?? 0) + (p.aclDenied[1] ?? 0)}>{denied(p, store)}</td>
          </tr>
        ))}
      </Table>
    </section>
  );
}

/** "a←b 3 · b←a 0": what each end's policy denied from the other ("–" when neither reports it). */
function denied(p: PairView, store: Store): string {
  const [ab, ba] = p.aclDenied;
  if (ab === null && ba === null) return '–';
  const a = store.name(p.a);
  const b = store.name(p.b);
  return `${a}←${b} ${ab ?? '–'} · ${b}←${a} ${ba ?? '–'}`;
}
