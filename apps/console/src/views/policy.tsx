import type { NodeSummary } from '@rtcmesh/protocol/browser';
import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, api } from '../api.js';

type Issue = { path: string; message: string };

const EXAMPLE = `{
  "groups": { "group:ops": ["tag:admin"] },
  "rules": [
    { "action": "accept", "src": ["group:ops"], "dst": ["tag:db:22"], "proto": "tcp" }
  ]
}`;

/**
 * The network's access policy as JSON text: the server validates it (its issues are listed with their
 * path), versions it, and refuses a save that edits an outdated version (someone else saved first).
 */
export function PolicyEditor({ networkId, nodes }: { networkId: string; nodes: NodeSummary[] }) {
  const [text, setText] = useState('');
  const [version, setVersion] = useState<number | null>(null);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    const r = await api.policy(networkId);
    const { version: v, ...rest } = r.policy;
    setVersion(v);
    setText(Object.keys(rest).length === 0 ? '' : JSON.stringify(rest, null, 2));
    setIssues([]);
  };
  useEffect(() => {
    load().catch((err: Error) => setMessage({ kind: 'error', text: err.message }));
  }, [networkId]);

  const save = async () => {
    setMessage(null);
    setIssues([]);
    let doc: unknown;
    try {
      doc = text.trim() === '' ? {} : JSON.parse(text);
    } catch (err) {
      setIssues([{ path: '(root)', message: `not valid JSON: ${(err as Error).message}` }]);
      return;
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      setIssues([{ path: '(root)', message: 'the policy is a JSON object' }]);
      return;
    }
    setBusy(true);
    try {
      const r = await api.putPolicy(networkId, { ...doc, version: version ?? 0 });
      setVersion(r.policy.version);
      setMessage({ kind: 'ok', text: `saved as version ${r.policy.version}; agents apply it now` });
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 400) {
        const list = (err.body as { issues?: Issue[] } | null)?.issues;
        setIssues(list && list.length > 0 ? list : [{ path: '(root)', message: err.message }]);
      } else setMessage({ kind: 'error', text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <section class="card" data-testid="policy-editor">
        <h2>
          Access policy{' '}
          <span class="muted" data-testid="policy-version">
            version {version ?? '…'}
          </span>
        </h2>
        <p class="muted small">
          Accept rules only. Without rules everything is allowed; with rules, what no rule accepts is denied
          (or set <code>"default"</code>). L3: <code>rules</code> (src → dst:ports, proto); L2:{' '}
          <code>l2</code> (node pairs, optional <code>ethertypes</code>). See SECURITY.md.
        </p>
        <textarea
          aria-label="policy JSON"
          class="mono policy"
          rows={18}
          spellcheck={false}
          placeholder={EXAMPLE}
          value={text}
          onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
        />
        <div class="row">
          <button type="button" onClick={save} disabled={busy}>
            Save
          </button>
          <button type="button" onClick={() => void load()} disabled={busy}>
            Reload
          </button>
          {message && (
            <span class={message.kind === 'ok' ? 'ok' : 'error'} data-testid="policy-message">
              {message.text}
            </span>
          )}
        </div>
        {issues.length > 0 && (
          <ul class="plain error" data-testid="policy-issues">
            {issues.map((i) => (
              <li key={`${i.path}:${i.message}`}>
                <code>{i.path}</code>: {i.message}
              </li>
            ))}
          </ul>
        )}
      </section>
      <NodeTags nodes={nodes} />
    </>
  );
}

/** Tags per node (what `tag:` selectors match), editable in place. */
function NodeTags({ nodes }: { nodes: NodeSummary[] }) {
  return (
    <section class="card">
      <h2>Node tags</h2>
      <table class="tags">
        <thead>
          <tr>
            <th>Node</th>
            <th>Tags (comma separated)</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((n) => (
            <TagRow key={n.nodeId} node={n} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

function TagRow({ node }: { node: NodeSummary }) {
  const current = (node.tags ?? []).join(',');
  const [text, setText] = useState(current);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setText(current), [current]);
  const save = async () => {
    setError(null);
    const tags = text
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    try {
      await api.setTags(node.nodeId, tags);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <tr data-node={node.name}>
      <td>{node.name}</td>
      <td>
        <input
          aria-label={`tags of ${node.name}`}
          value={text}
          placeholder="tag:web,tag:prod"
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />{' '}
        <button type="button" onClick={save} disabled={text === current}>
          Set
        </button>
        {error && <span class="error"> {error}</span>}
      </td>
    </tr>
  );
}
