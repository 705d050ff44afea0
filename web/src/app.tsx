import { useMemo, useRef, useState } from 'preact/hooks';
import { Api } from './api/api.js';
import { ApiContext } from './api/context.js';
import { clearToken, readToken, saveToken } from './api/session.js';
import { Header } from './components/common/header.js';
import { ConversationPage } from './components/conversation/conversation-page.js';
import { ListPage } from './components/list/list-page.js';
import { NotFoundPage } from './components/not-found.js';
import { SignIn } from './components/sign-in.js';
import { parseView } from './routing/list-view.js';
import { usePlace } from './routing/router.js';

const EXPIRED = 'Your token is no longer accepted: it was revoked or has expired. Paste a valid token to sign in again.';
const SIGNED_OUT = 'You are signed out. The token was removed from this tab.';

/** Sign-in until a token is known, then the page the address names: the list, or one conversation. */
export function App() {
  const [token, setToken] = useState(readToken);
  const [notice, setNotice] = useState<string | null>(null);
  const place = usePlace();
  // The token in use now: a 401 that answers a request of an earlier token must not sign out the current one.
  const current = useRef(token);
  current.current = token;

  const signOut = (message: string) => {
    clearToken();
    setToken(null);
    setNotice(message);
  };
  // One Api per token: signing out drops it, and with it every answer it remembered.
  const api = useMemo(
    () =>
      token
        ? new Api(token, () => {
            if (current.current === token) signOut(EXPIRED);
          })
        : null,
    [token],
  );

  if (!api) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(accepted) => {
          saveToken(accepted);
          setNotice(null);
          setToken(accepted);
        }}
      />
    );
  }

  const view = parseView(place.search);
  const conversation = /^\/conversations\/([^/]+)$/.exec(place.path)?.[1];
  return (
    <ApiContext.Provider value={api}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header onSignOut={() => signOut(SIGNED_OUT)} />
      {place.path === '/' ? (
        <ListPage view={view} />
      ) : conversation ? (
        <ConversationPage key={conversation} uuid={decodeURIComponent(conversation)} view={view} />
      ) : (
        <NotFoundPage />
      )}
    </ApiContext.Provider>
  );
}
