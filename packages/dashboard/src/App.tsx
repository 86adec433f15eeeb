import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError, errorMessage, HeraldClient } from './api/client';
import type { WhoAmI } from './api/types';
import { capturePortalToken, clearCredential, loadCredential, saveCredential, type CredentialKind } from './auth/credential';
import { makeSession, SessionContext } from './auth/session';
import { Layout } from './Layout';
import { LinkExpired } from './pages/LinkExpired';
import { SignIn } from './pages/SignIn';
import { Loading } from './components/Status';
import { Screens } from './Screens';

type AuthState =
  | { phase: 'checking' }
  | { phase: 'signed-out'; message: string | null }
  | { phase: 'expired' }
  | { phase: 'ready'; token: string; who: WhoAmI };

/**
 * The sign-in state machine: a portal token in the address (taken out at once) or a stored
 * credential is checked with GET /whoami; a 401 at any later moment ends the session — for a
 * portal link with "This link has expired", for a key with the sign-in form.
 */
export function App() {
  const [auth, setAuth] = useState<AuthState>({ phase: 'checking' });

  const endSession = useCallback((kind: CredentialKind, message: string | null) => {
    clearCredential();
    setAuth(kind === 'portal' ? { phase: 'expired' } : { phase: 'signed-out', message });
  }, []);

  const check = useCallback(
    async (token: string, kind: CredentialKind) => {
      setAuth({ phase: 'checking' });
      try {
        const who = await new HeraldClient(token).whoami();
        saveCredential({ token, kind: who.kind });
        setAuth({ phase: 'ready', token, who });
        return null;
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) {
          endSession(kind, kind === 'portal' ? null : 'Herald did not accept that key.');
          return 'Herald did not accept that key.';
        }
        clearCredential();
        const message = errorMessage(err);
        setAuth({ phase: 'signed-out', message });
        return message;
      }
    },
    [endSession],
  );

  useEffect(() => {
    const fromLink = capturePortalToken();
    const c = loadCredential();
    if (c) void check(c.token, fromLink ? 'portal' : c.kind);
    else setAuth({ phase: 'signed-out', message: null });
  }, [check]);

  const session = useMemo(() => {
    if (auth.phase !== 'ready') return null;
    const kind = auth.who.kind;
    const client = new HeraldClient(auth.token, () => endSession(kind, 'Your session ended: sign in again.'));
    return makeSession(client, auth.who, () => endSession('api_key', kind === 'portal' ? 'You left the portal.' : 'You are signed out.'));
  }, [auth, endSession]);

  if (auth.phase === 'checking') {
    return (
      <main id="main" className="center-page">
        <Loading what="your session" />
      </main>
    );
  }
  if (auth.phase === 'expired') return <LinkExpired onSignIn={() => setAuth({ phase: 'signed-out', message: null })} />;
  if (auth.phase === 'signed-out' || !session) {
    return <SignIn message={auth.phase === 'signed-out' ? auth.message : null} onSubmit={(key) => check(key, 'api_key')} />;
  }
  return (
    <SessionContext.Provider value={session}>
      <Layout>
        <Screens />
      </Layout>
    </SessionContext.Provider>
  );
}
