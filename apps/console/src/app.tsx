import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiFailure, api } from './api.js';
import { type FeedState, LiveFeed } from './feed.js';
import { useHash, useStore } from './hooks.js';
import { pairs } from './links.js';
import { Store } from './store.js';
import { Topology } from './topology.js';
import { Admin } from './views/admin.js';
import { LinkDetail, NodeDetail } from './views/detail.js';
import { Events } from './views/events.js';
import { MobilityTable } from './views/mobility.js';
import { Links, Networks, Nodes } from './views/overview.js';
import { PolicyEditor } from './views/policy.js';
import { SignIn } from './views/signin.js';
import { MacTable, RouteTable } from './views/tables.js';

type Theme = 'auto' | 'light' | 'dark';
const TABS = [
  ['overview', 'Overview'],
  ['topology', 'Topology'],
  ['tables', 'L2 / L3'],
  ['events', 'Events'],
  ['policy', 'Policy'],
  ['admin', 'Admin'],
] as const;

export function App() {
  const [signedIn, setSignedIn] = useState<boolean | null>(null);
  useEffect(() => {
    api.session().then(
      (s) => setSignedIn(s.signedIn),
      () => setSignedIn(false),
    );
  }, []);
  if (signedIn === null) return <p class="muted center">Loading…</p>;
  if (!signedIn) return <SignIn onSignedIn={() => setSignedIn(true)} />;
  return <Shell onSignedOut={() => setSignedIn(false)} />;
}

function Shell({ onSignedOut }: { onSignedOut: () => void }) {
  const store = useMemo(() => new Store(), []);
  const [feed, setFeed] = useState<FeedState>('connecting');
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem('theme') as Theme | null) ?? 'auto');
  const [network, setNetwork] = useState<string>('');
  useStore(store);
  const hash = useHash();

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('theme', theme);
  }, [theme]);

  useEffect(() => {
    const reload = () =>
      store.load().catch((err) => {
        if (err instanceof ApiFailure && err.status === 401) onSignedOut();
      });
    const live = new LiveFeed(
      (e) => store.apply(e),
      setFeed,
      () => void reload(),
      async () => (await api.session()).signedIn,
      onSignedOut,
    );
    reload().then((seq) => live.start(seq ?? undefined));
    return () => live.stop();
  }, [store]);

  const s = store.state;
  const networks = [...s.networks.values()];
  const net = network && s.networks.has(network) ? network : (networks[0]?.id ?? '');
  const mode = s.networks.get(net)?.mode;
  const nodes = [...s.nodes.values()]
    .filter((n) => n.networkId === net)
    .sort((a, b) => a.name.localeCompare(b.name));
  const netPairs = pairs(s, net);
  const [, route, p1, p2] = hash.split('/');
  const tab = route ?? 'overview';

  const signOut = async () => {
    await api.signOut().catch(() => undefined);
    onSignedOut();
  };

  return (
    <div class="shell">
      <header>
        <span class="brand">rtcmesh</span>
        <select
          aria-label="network"
          value={net}
          onChange={(e) => setNetwork((e.target as HTMLSelectElement).value)}
        >
          {networks.map((n) => (
            <option key={n.id} value={n.id}>
              {n.name} ({n.mode})
            </option>
          ))}
        </select>
        <span class={`feed ${feed}`} data-testid="feed-state" title="live feed">
          {feed === 'live' ? '● live' : feed === 'connecting' ? '○ connecting' : '⚠ feed lost, reconnecting…'}
        </span>
        <span class="spacer" />
        <select
          aria-label="theme"
          value={theme}
          onChange={(e) => setTheme((e.target as HTMLSelectElement).value as Theme)}
        >
          <option value="auto">auto</option>
          <option value="light">light</option>
          <option value="dark">dark</option>
        </select>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <nav>
        {TABS.map(([id, label]) => (
          <a key={id} href={`#/${id}`} class={tab === id ? 'on' : ''}>
            {label}
          </a>
        ))}
      </nav>
      <main>
        {tab === 'overview' && (
          <>
            <Networks networks={networks} />
            <Nodes nodes={nodes} store={store} />
            <Links pairs={netPairs} store={store} />
          </>
        )}
        {tab === 'topology' && (
          <section class="card">
            <h2>Topology</h2>
            <p class="legend small">
              <span class="path direct">direct</span> <span class="path relay">relayed</span>{' '}
              <span class="path none">no link</span> · click a node or a link for details
            </p>
            <Topology
              nodes={nodes}
              pairs={netPairs}
              selected={null}
              nodeHref={(id) => `#/node/${id}`}
              linkHref={(a, b) => `#/link/${a}/${b}`}
            />
          </section>
        )}
        {tab === 'tables' &&
          (mode === 'l3' ? (
            <>
              <RouteTable store={store} networkId={net} />
              <MobilityTable store={store} networkId={net} />
            </>
          ) : (
            <MacTable store={store} networkId={net} />
          ))}
        {tab === 'events' && <Events store={store} />}
        {tab === 'policy' && net && <PolicyEditor key={net} networkId={net} nodes={nodes} />}
        {tab === 'admin' && <Admin store={store} />}
        {tab === 'node' && p1 && <NodeDetail store={store} nodeId={p1} />}
        {tab === 'link' && p1 && p2 && <LinkDetail store={store} a={p1} b={p2} />}
      </main>
    </div>
  );
}
