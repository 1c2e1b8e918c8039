import { useState } from 'preact/hooks';
import { ApiFailure, api } from '../api.js';
import { type BrowserPingResult, browserPing } from '../browser-ping.js';
import { LinkChart } from '../chart.js';
import { ago, bytes, ms } from '../format.js';
import { go } from '../hooks.js';
import { pairs } from '../links.js';
import { linkKey, type Store } from '../store.js';
import { natOf } from './overview.js';

export function NodeDetail({ store, nodeId }: { store: Store; nodeId: string }) {
  const n = store.state.nodes.get(nodeId);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!n) return <section class="card">No node {nodeId} (removed?).</section>;
  const l2 = store.state.networks.get(n.networkId)?.mode === 'l2';
  const mine = pairs(store.state, n.networkId).filter((p) => p.a === nodeId || p.b === nodeId);
  const remove = async () => {
    try {
      await api.removeNode(nodeId);
      go('#/overview');
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section class="card detail" data-detail={n.name}>
      <h2>
        {n.name}{' '}
        <span class={`status ${n.online ? 'online' : 'offline'}`}>{n.online ? 'online' : 'offline'}</span>
      </h2>
      <dl>
        <dt>Node id</dt>
        <dd class="mono">{n.nodeId}</dd>
        <dt>Addresses</dt>
        <dd>{n.addresses.join(', ')}</dd>
        {l2 && (
          <>
            <dt>MAC</dt>
            <dd class="mono">{n.mac}</dd>
          </>
        )}
        <dt>Last seen</dt>
        <dd>{n.online ? 'now' : ago(n.lastSeen)}</dd>
        <dt>Agent</dt>
        <dd>
          {n.agentVersion ?? '–'} {n.os ? `on ${n.os}` : ''} {n.hostname ? `(${n.hostname})` : ''}
        </dd>
        <dt>Public endpoint</dt>
        <dd class="mono">{n.endpoint ?? '–'}</dd>
        <dt>NAT</dt>
        <dd>{natOf(n)}</dd>
        {n.netcheck && (
          <>
            <dt>Netcheck</dt>
            <dd class="mono small">
              {Object.entries(n.netcheck)
                .map(([k, v]) => `${k}=${String(v)}`)
                .join(' ')}
            </dd>
          </>
        )}
        <dt>Routes</dt>
        <dd>{n.routes.map((r) => r.prefix).join(', ') || '–'}</dd>
      </dl>
      <h3>Links</h3>
      <ul class="plain">
        {mine.map((p) => {
          const other = p.a === nodeId ? p.b : p.a;
          return (
            <li key={other}>
              <a href={`#/link/${p.a}/${p.b}`}>{store.name(other)}</a>:{' '}
              <span class={`path ${p.path ?? 'none'}`}>{p.path ?? p.state}</span> {ms(p.rttMs)}
            </li>
          );
        })}
      </ul>
      <BrowserTest nodeId={nodeId} online={n.online} />
      <OpenInBrowser nodeId={nodeId} online={n.online} />
      <BrowserSessions store={store} nodeId={nodeId} />
      <h3>Danger zone</h3>
      {!confirming ? (
        <button type="button" class="danger" onClick={() => setConfirming(true)}>
          Remove node…
        </button>
      ) : (
        <div class="confirm" role="alertdialog">
          <p>
            Remove <strong>{n.name}</strong>? Its address is freed, its key is banned for good and its links
            are torn down.
          </p>
          <button type="button" class="danger" onClick={remove}>
            Yes, remove {n.name}
          </button>{' '}
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
      {error && <p class="error">{error}</p>}
    </section>
  );
}

function BrowserTest({ nodeId, online }: { nodeId: string; online: boolean }) {
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<BrowserPingResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setRunning(true);
    setError(null);
    setResult(null);
    try {
      setResult(await browserPing(nodeId));
    } catch (err) {
      setError(err instanceof ApiFailure ? `${err.code}: ${err.message}` : (err as Error).message);
    } finally {
      setRunning(false);
    }
  };
  const avg = result ? result.rtts.reduce((a, b) => a + b, 0) / result.rtts.length : 0;
  return (
    <div class="browser-test">
      <h3>Test from this browser</h3>
      <p class="muted small">
        Opens a WebRTC data channel from this browser straight to the agent (signaled through the server) and
        pings it. The channel only answers pings: it never reaches the overlay.
      </p>
      <button type="button" onClick={run} disabled={running || !online}>
        {running ? 'Testing…' : 'Test from this browser'}
      </button>
      {result && (
        <p class="result" data-testid="browser-ping-result">
          RTT <strong data-testid="browser-rtt">{ms(avg)}</strong> (min {ms(Math.min(...result.rtts))},{' '}
          {result.rtts.length} pings) · path <strong data-testid="browser-path">{result.path}</strong> (
          {result.localCandidateType} → {result.remoteCandidateType} {result.remoteAddress})
        </p>
      )}
      {error && (
        <p class="error" data-testid="browser-ping-error">
          {error}
        </p>
      )}
    </div>
  );
}

/**
 * "Open in browser" (issue 20): a service on or behind the node in a new tab, over WebRTC. The tab is
 * on the server's proxy origin; what it may reach is the policy's rules for `browser:admin`.
 */
function OpenInBrowser({ nodeId, online }: { nodeId: string; online: boolean }) {
  const [target, setTarget] = useState('http://127.0.0.1:80/');
  const [error, setError] = useState<string | null>(null);
  const [opened, setOpened] = useState<string | null>(null);
  const open = async (e: Event) => {
    e.preventDefault();
    setError(null);
    // Opened before the await: a window opened later is a popup the browser blocks.
    const tab = window.open('about:blank', '_blank');
    try {
      const s = await api.browserSession(nodeId, target.trim());
      if (tab) {
        // The proxied service gets no handle on the console's tab.
        tab.opener = null;
        tab.location.href = s.url;
      }
      setOpened(s.url);
    } catch (err) {
      tab?.close();
      setError(err instanceof ApiFailure ? `${err.code}: ${err.message}` : (err as Error).message);
    }
  };
  return (
    <form class="browser-open" onSubmit={open}>
      <h3>Open in browser</h3>
      <p class="muted small">
        A web service on this node (its loopback, or an address it reaches) in a new tab, carried over WebRTC
        from this browser to the node: <code>http://127.0.0.1:3000/</code>, <code>https://10.1.0.5/</code>, or{' '}
        <code>tcp://127.0.0.1:6379</code> for a plain terminal. The network policy decides what{' '}
        <code>browser:admin</code> may reach.
      </p>
      <label>
        Target{' '}
        <input
          value={target}
          onInput={(e) => setTarget((e.target as HTMLInputElement).value)}
          aria-label="Target"
          size={36}
        />
      </label>{' '}
      <button type="submit" disabled={!online}>
        Open in browser
      </button>
      {opened && (
        <p class="muted small" data-testid="browser-session-url">
          Opened{' '}
          <a href={opened} target="_blank" rel="noopener noreferrer">
            a session
          </a>
          .
        </p>
      )}
      {error && (
        <p class="error" data-testid="browser-session-error">
          {error}
        </p>
      )}
    </form>
  );
}

/** The node's browser sessions as its agent reported them: open ones first, then the last closed. */
function BrowserSessions({ store, nodeId }: { store: Store; nodeId: string }) {
  const all = [...store.state.browserSessions.entries()].filter(([, b]) => b.nodeId === nodeId);
  if (all.length === 0) return null;
  all.sort(([, a], [, b]) => (a.state === b.state ? b.openedAt - a.openedAt : a.state === 'open' ? -1 : 1));
  return (
    <>
      <h3>Browser sessions</h3>
      <table class="browser-sessions">
        <thead>
          <tr>
            <th>Who</th>
            <th>Target</th>
            <th>State</th>
            <th>To the browser</th>
            <th>From it</th>
          </tr>
        </thead>
        <tbody>
          {all.slice(0, 20).map(([id, b]) => (
            <tr key={id} data-session-state={b.state}>
              <td>{b.principal}</td>
              <td>{b.target}</td>
              <td>{b.state === 'open' ? 'open' : `closed after ${b.durationS ?? '?'} s`}</td>
              <td>{b.state === 'open' ? '…' : `${b.bytesToBrowser} B`}</td>
              <td>{b.state === 'open' ? '…' : `${b.bytesFromBrowser} B`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function LinkDetail({ store, a, b }: { store: Store; a: string; b: string }) {
  const s = store.state;
  const ab = s.links.get(linkKey(a, b));
  const ba = s.links.get(linkKey(b, a));
  const samples = s.history.get(linkKey(a, b)) ?? s.history.get(linkKey(b, a)) ?? [];
  const side = (from: string, to: string, e: typeof ab) => (
    <div class="side">
      <h3>
        {store.name(from)} → {store.name(to)}
      </h3>
      {!e ? (
        <p class="muted">No report yet.</p>
      ) : (
        <dl>
          <dt>State</dt>
          <dd>
            {e.link.state} since {ago(e.link.since)}
          </dd>
          <dt>Path</dt>
          <dd>
            <span class={`path ${e.link.path ?? 'none'}`}>{e.link.path ?? '–'}</span> (
            {e.link.localCandidateType ?? '?'} → {e.link.remoteCandidateType ?? '?'})
          </dd>
          <dt>Carried</dt>
          <dd data-carried={e.link.packetPath ?? ''}>
            {e.link.packetPath === 'rtp'
              ? 'packet track (RTP)'
              : e.link.packetPath === 'datachannel'
                ? 'data channel (SCTP)'
                : '–'}
            {e.link.transport ? ` on ${e.link.transport}` : ''}
          </dd>
          <dt>Remote</dt>
          <dd class="mono">{e.link.remoteAddress ?? '–'}</dd>
          <dt>RTT / loss</dt>
          <dd>
            {ms(e.link.rttMs)} /{' '}
            {e.link.pathLossPct !== undefined
              ? `${e.link.pathLossPct.toFixed(2)} % of packets`
              : e.link.lossPct === undefined
                ? '–'
                : `${e.link.lossPct.toFixed(1)} % of keepalives`}
          </dd>
          <dt>Sent / received</dt>
          <dd>
            {bytes(e.link.txBytes)} ({e.link.txPackets} pkts) / {bytes(e.link.rxBytes)} ({e.link.rxPackets}{' '}
            pkts)
          </dd>
          <dt>Drops</dt>
          <dd>{e.link.drops}</dd>
          <dt>Reported</dt>
          <dd>{ago(e.receivedAt)}</dd>
        </dl>
      )}
    </div>
  );
  return (
    <section class="card detail" data-detail={`${store.name(a)}~${store.name(b)}`}>
      <h2>
        <a href={`#/node/${a}`}>{store.name(a)}</a> ↔ <a href={`#/node/${b}`}>{store.name(b)}</a>
      </h2>
      <LinkChart samples={samples} />
      <div class="sides">
        {side(a, b, ab)}
        {side(b, a, ba)}
      </div>
    </section>
  );
}
