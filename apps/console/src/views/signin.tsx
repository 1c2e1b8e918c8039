import { useState } from 'preact/hooks';
import { ApiFailure, api } from '../api.js';

/** The admin token is sent once and exchanged for an HttpOnly cookie; the field is cleared after. */
export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.signIn(token.trim());
      setToken('');
      onSignedIn();
    } catch (err) {
      setError(
        err instanceof ApiFailure && err.code === 'unauthorized'
          ? 'Wrong admin token.'
          : String((err as Error).message),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form class="card" onSubmit={submit}>
        <h1>rtcmesh console</h1>
        <p class="muted">
          Sign in with the server's admin token (printed on first start, or in{' '}
          <code>&lt;data&gt;/admin-token</code>).
        </p>
        <label>
          Admin token
          <input
            name="token"
            type="password"
            autoComplete="current-password"
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
            required
          />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || !token}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
