import type { NetworkMode } from '@rtcmesh/protocol/browser';
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { ago } from '../format.js';
import type { Store } from '../store.js';
import { SelectField, Table, TextField } from './ui.js';

export function Admin({ store }: { store: Store }) {
  return (
    <>
      <CreateNetwork />
      <Keys store={store} />
    </>
  );
}

function CreateNetwork() {
  const [name, setName] = useState('');
  const [mode, setMode] = useState<NetworkMode>('l2');
  const [cidr, setCidr] = useState('10.99.0.0/24');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const n = await api.createNetwork({ name, mode, cidr });
      setMsg({ ok: true, text: `Network ${n.name} created.` });
      setName('');
    } catch (err) {
      setMsg({ ok: false, text: (err as Error).message });
    }
  };
  return (
    <section class="card">
      <h2>Create a network</h2>
      <form class="row" onSubmit={submit}>
        <TextField label="Name" name="network-name" value={name} onValue={setName} required />
        <SelectField label="Mode" name="network-mode" value={mode} onValue={(v) => setMode(v as NetworkMode)}>
          <option value="l2">L2 (Ethernet, TAP)</option>
          <option value="l3">L3 (IP, TUN)</option>
        </SelectField>
        <TextField label="CIDR" name="network-cidr" value={cidr} onValue={setCidr} required />
        <button type="submit">Create network</button>
      </form>
      {msg && <p class={msg.ok ? 'ok' : 'error'}>{msg.text}</p>}
    </section>
  );
}

const EXPIRY: Record<string, number | undefined> = {
  never: undefined,
  '1 hour': 3600,
  '1 day': 86400,
  '7 days': 7 * 86400,
};

function Keys({ store }: { store: Store }) {
  const networks = [...store.state.networks.values()];
  const [network, setNetwork] = useState('');
  const [reusable, setReusable] = useState(false);
  const [expiry, setExpiry] = useState('1 day');
  const [description, setDescription] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [confirm, setConfirm] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const net = network || networks[0]?.id || '';
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const ttl = EXPIRY[expiry];
      const r = await api.createKey({
        network: net,
        reusable,
        ...(ttl ? { ttlSeconds: ttl } : {}),
        ...(description ? { description } : {}),
      });
      setCreated(r.key);
      setCopied(false);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const copy = async () => {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created);
    } catch {
      // Clipboard API needs a secure context: fall back to selecting the text.
      const el = document.querySelector<HTMLInputElement>('input.created-key');
      el?.select();
      document.execCommand('copy');
    }
    setCopied(true);
  };
  const revoke = async (id: string) => {
    setConfirm(null);
    try {
      await api.revokeKey(id);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const keys = [...store.state.keys.values()].sort((a, b) => b.createdAt - a.createdAt);
  return (
    <section class="card">
      <h2>Join keys</h2>
      <form class="row" onSubmit={create}>
        <SelectField label="Network" name="key-network" value={net} onValue={setNetwork}>
          {networks.map((n) => (
            <option key={n.id} value={n.id}>
              {n.name}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Use"
          name="key-reusable"
          value={reusable ? 'reusable' : 'single'}
          onValue={(v) => setReusable(v === 'reusable')}
        >
          <option value="single">single-use</option>
          <option value="reusable">reusable</option>
        </SelectField>
        <SelectField label="Expires" name="key-expiry" value={expiry} onValue={setExpiry}>
          {Object.keys(EXPIRY).map((k) => (
            <option key={k}>{k}</option>
          ))}
        </SelectField>
        <TextField label="Description" name="key-description" value={description} onValue={setDescription} />
        <button type="submit" disabled={!net}>
          Create key
        </button>
      </form>
      {created && (
        <div class="created">
          <p>Copy this key now: it is shown only once.</p>
          <div class="row">
            <input
              class="created-key mono"
              readOnly
              value={created}
              onFocus={(e) => (e.target as HTMLInputElement).select()}
            />
            <button type="button" onClick={copy}>
              {copied ? 'Copied' : 'Copy'}
            </button>
          </div>
        </div>
      )}
      {error && <p class="error">{error}</p>}
      <Table class="keys" columns={['Key', 'Network', 'Use', 'Expires', 'Uses', 'Status', '']}>
        {keys.map((k) => (
          <tr key={k.id} data-key={k.id}>
            <td class="mono">
              {k.id}
              {k.description && <div class="muted small">{k.description}</div>}
            </td>
            <td>{store.state.networks.get(k.networkId)?.name ?? k.networkId}</td>
            <td>{k.reusable ? 'reusable' : 'single-use'}</td>
            <td>{k.expiresAt ? new Date(k.expiresAt).toLocaleString() : 'never'}</td>
            <td>{k.uses}</td>
            <td class="key-status">
              {k.revokedAt ? `revoked ${ago(k.revokedAt)}` : k.valid ? 'valid' : 'used/expired'}
            </td>
            <td>
              {!k.revokedAt &&
                (confirm === k.id ? (
                  <span class="confirm-inline">
                    <button type="button" class="danger" onClick={() => revoke(k.id)}>
                      Confirm revoke
                    </button>
                    <button type="button" onClick={() => setConfirm(null)}>
                      Cancel
                    </button>
                  </span>
                ) : (
                  <button type="button" onClick={() => setConfirm(k.id)}>
                    Revoke…
                  </button>
                ))}
            </td>
          </tr>
        ))}
      </Table>
    </section>
  );
}
