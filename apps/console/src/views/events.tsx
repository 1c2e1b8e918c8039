import { useState } from 'preact/hooks';
import type { Store } from '../store.js';

const FILTERS: Record<string, (k: string) => boolean> = {
  all: () => true,
  presence: (k) => ['online', 'offline', 'node-joined', 'node-removed'].includes(k),
  paths: (k) => ['path-change', 'link-up', 'link-down'].includes(k),
  l2: (k) => ['mac-move', 'storm-drop'].includes(k),
  mobility: (k) => ['host-move', 'host-flap'].includes(k),
  security: (k) => ['join-rejected', 'acl-deny', 'key-created', 'key-revoked', 'audit'].includes(k),
  audit: (k) => k === 'audit',
};

export function Events({ store }: { store: Store }) {
  const [filter, setFilter] = useState('all');
  const pred = FILTERS[filter] ?? (() => true);
  const events = store.state.events.filter((e) => pred(e.kind)).slice(0, 200);
  return (
    <section class="card">
      <h2>Events</h2>
      <div class="chips">
        {Object.keys(FILTERS).map((f) => (
          <button
            type="button"
            key={f}
            class={f === filter ? 'chip on' : 'chip'}
            onClick={() => setFilter(f)}
          >
            {f}
          </button>
        ))}
      </div>
      <ul class="events">
        {events.length === 0 && <li class="muted">Nothing yet.</li>}
        {events.map((e) => (
          <li key={e.seq} class={`ev ${e.kind}`}>
            <time>{new Date(e.at).toLocaleTimeString()}</time> <span class="kind">{e.kind}</span> {e.text}
          </li>
        ))}
      </ul>
    </section>
  );
}
