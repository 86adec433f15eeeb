import { useEffect, useId, useRef, useState, type FormEvent } from 'react';

/** Sign-in with an API key, kept in sessionStorage for this tab only. */
export function SignIn({ message, onSubmit }: { message: string | null; onSubmit: (key: string) => Promise<string | null> }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  const hintId = useId();
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = 'Sign in · Herald';
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!key.trim()) return;
    setBusy(true);
    await onSubmit(key.trim());
    setBusy(false);
  };

  const isError = message !== null && !/signed out|left the portal/.test(message);
  return (
    <main id="main" className="center-page">
      <div className="card signin">
        <p className="brand-mark" aria-hidden="true">
          <span className="logo">H</span> Herald
        </p>
        <h1 ref={heading}>Sign in to Herald</h1>
        {message && (
          <p role={isError ? 'alert' : 'status'} className={isError ? 'notice error' : 'notice info'}>
            {message}
          </p>
        )}
        <form onSubmit={(e) => void submit(e)}>
          <div className="field">
            <label htmlFor={inputId}>API key</label>
            <input
              id={inputId}
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={key}
              onChange={(e) => setKey(e.target.value)}
              aria-describedby={hintId}
              required
              autoFocus
            />
            <p id={hintId} className="hint">
              The key is kept in this tab only (sessionStorage) and sent as <code>Authorization: Bearer</code> to this server's{' '}
              <code>/api/v1</code>. Closing the tab signs you out.
            </p>
          </div>
          <button type="submit" className="button primary" disabled={busy} aria-busy={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
