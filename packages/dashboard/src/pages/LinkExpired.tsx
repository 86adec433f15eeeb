import { useEffect } from 'react';

/** A portal link that is expired, altered or unknown (401 HERALD_PORTAL_LINK_INVALID). */
export function LinkExpired({ onSignIn }: { onSignIn: () => void }) {
  useEffect(() => {
    document.title = 'Link expired · Herald';
  }, []);
  return (
    <main id="main" className="center-page">
      <div className="card signin">
        <h1>This link has expired; ask for a new one</h1>
        <p>
          Links to manage your webhooks are short-lived. Go back to the product that sent you here and open the webhook settings again to get a
          fresh link.
        </p>
        <button type="button" className="button" onClick={onSignIn}>
          Sign in with an API key instead
        </button>
      </div>
    </main>
  );
}
