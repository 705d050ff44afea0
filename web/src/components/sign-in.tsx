import { ParleyError } from '@parley/client';
import { useState } from 'preact/hooks';
import { Api, describeError } from '../api/api.js';

interface Props {
  /** Why the user is here again (signed out, token revoked), if they were signed in before. */
  notice: string | null;
  onSignedIn: (token: string) => void;
}

/**
 * Asks for an API token and checks it with one cheap request before keeping it. The form posts
 * (never GETs) so that, whatever happens, the token cannot end up in the address bar.
 */
export function SignIn({ notice, onSignedIn }: Props) {
  const [token, setToken] = useState('');
  const [checking, setChecking] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    const candidate = token.trim();
    if (!candidate) {
      setProblem('Paste an API token first.');
      return;
    }
    setChecking(true);
    setProblem(null);
    try {
      // A 401 here means a wrong token, not an ended session: nothing to sign out of.
      await new Api(candidate, () => {}).client.listConversations({ per_page: 1 });
      onSignedIn(candidate);
    } catch (error) {
      setProblem(
        error instanceof ParleyError && error.status === 401
          ? 'Parley did not accept this token: it is unknown, revoked, or for another workspace.'
          : describeError(error),
      );
      setChecking(false);
    }
  };

  return (
    <main class="sign-in" id="main">
      <form method="post" class="card sign-in-card" onSubmit={submit} aria-describedby="sign-in-help">
        <h1>Parley inbox</h1>
        {notice && (
          <p class="notice" role="alert">
            {notice}
          </p>
        )}
        <p id="sign-in-help" class="muted">
          Paste an API token of your workspace (<code>parley token create &lt;workspace&gt;</code>). It is kept in this tab only and
          forgotten when the tab closes.
        </p>
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
          aria-invalid={problem ? 'true' : undefined}
          aria-describedby={problem ? 'token-problem' : undefined}
          required
        />
        {problem && (
          <p id="token-problem" class="field-error" role="alert">
            {problem}
          </p>
        )}
        <button type="submit" class="button button-primary" disabled={checking}>
          {checking ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
