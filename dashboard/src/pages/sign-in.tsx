import { useState } from 'preact/hooks';
import type { SessionView } from '../../../src/http/contracts';
import { ApiFailure, postJson } from '../api';

export function SignIn(props: { reason?: string | undefined; onSignedIn: (s: SessionView) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const s = await postJson<SessionView>('/v1/session', { apiKey: key });
      setKey('');
      props.onSignedIn(s);
    } catch (err) {
      setError(err instanceof ApiFailure ? err.message : 'sign-in failed: the API is not reachable');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <h1>Trainyard</h1>
      <form onSubmit={(e) => void submit(e)}>
        <h2>Sign in</h2>
        {props.reason && <p role="status">{props.reason}</p>}
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="current-password"
          required
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
        />
        <p class="hint">The key is sent once; the session lasts while you use it and ends when you sign out.</p>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
