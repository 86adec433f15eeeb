import { useId, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import type { ApiKey } from '../api/types';
import { useResource } from '../api/use-resource';
import { useSession } from '../auth/session';
import { CodeBlock } from '../components/CodeBlock';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorNotice, Loading } from '../components/Status';
import { formatTime } from '../format';
import { usePageTitle } from './page-title';

/** API keys of the Herald instance (or of the key's org): list, create (shown once), revoke. */
export function ApiKeysPage() {
  usePageTitle('API keys');
  const { client, can, who } = useSession();
  const keys = useResource('api-keys', () => client.listApiKeys());
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [made, setMade] = useState<(ApiKey & { key: string }) | null>(null);
  const rows = keys.data?.data ?? [];
  return (
    <div className="page">
      <h1>API keys</h1>
      <p className="muted">Keys for programs that call Herald's API. Each carries scopes and, optionally, one org.</p>
      <ErrorNotice error={keys.error} />
      {keys.loading && !keys.data && <Loading what="API keys" />}
      {made && (
        <section className="card one-time" role="status" aria-label="New API key">
          <h2>Key “{made.name}” created</h2>
          <p>Copy it now: Herald stores only its hash and cannot show it again.</p>
          <CodeBlock text={made.key} label="New API key" copy />
          <button type="button" className="button small" onClick={() => setMade(null)}>
            Done, hide it
          </button>
        </section>
      )}
      {rows.length > 0 && (
        <table className="table responsive">
          <caption className="visually-hidden">API keys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Org</th>
              <th scope="col">Scopes</th>
              <th scope="col">Created</th>
              {can('api_keys:write') && (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {rows.map((k) => (
              <tr key={k.id}>
                <td data-label="Name">
                  {k.name} <code className="muted small-text">{k.id}</code>
                  {k.id === who.key_id && (
                    <>
                      {' '}
                      <span className="badge ok">This session</span>
                    </>
                  )}
                </td>
                <td data-label="Org">{k.org_id ?? 'Every org'}</td>
                <td data-label="Scopes" className="scopes">
                  {k.scopes.join(', ')}
                </td>
                <td data-label="Created">{formatTime(k.created_at)}</td>
                {can('api_keys:write') && (
                  <td data-label="Actions">
                    <button type="button" className="button small danger-outline" onClick={() => setRevoking(k)}>
                      Revoke<span className="visually-hidden"> {k.name}</span>
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {can('api_keys:write') && <CreateApiKey onMade={(k) => { setMade(k); void keys.reload(); }} />}
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this API key?"
        confirmLabel="Revoke key"
        danger
        onClose={() => setRevoking(null)}
        onConfirm={async () => {
          await client.revokeApiKey(revoking!.id);
          await keys.reload();
        }}
      >
        <p>
          Programs using <strong>{revoking?.name}</strong> are refused from now on{revoking?.id === who.key_id ? ', including this session' : ''}.
        </p>
      </ConfirmDialog>
    </div>
  );
}

function CreateApiKey({ onMade }: { onMade: (k: ApiKey & { key: string }) => void }) {
  const { client, who } = useSession();
  const id = useId();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [org, setOrg] = useState(who.org_id ?? '');
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (scopes.length === 0) {
      setError('Choose at least one scope.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onMade(await client.createApiKey({ name, scopes, ...(org ? { org_id: org } : {}), ...(email ? { email } : {}) }));
      setName('');
      setScopes([]);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card form-card" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Create an API key</h2>
      <form onSubmit={(e) => void submit(e)}>
        <div className="form-grid two">
          <div className="field">
            <label htmlFor={`${id}-name`}>Name</label>
            <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} required />
          </div>
          <div className="field">
            <label htmlFor={`${id}-org`}>Limit to org (id)</label>
            <input id={`${id}-org`} value={org} onChange={(e) => setOrg(e.target.value)} disabled={who.org_id !== null} placeholder="every org" />
          </div>
          <div className="field span-2">
            <label htmlFor={`${id}-email`}>Email of who uses it (optional)</label>
            <input id={`${id}-email`} type="email" value={email} onChange={(e) => setEmail(e.target.value)} aria-describedby={`${id}-email-hint`} />
            <p id={`${id}-email-hint`} className="hint">
              Alert mail about webhooks this key creates or changes also goes there.
            </p>
          </div>
        </div>
        <fieldset>
          <legend>Scopes</legend>
          <div className="scope-grid">
            {who.scopes.map((s) => (
              <label key={s} className="check">
                <input type="checkbox" checked={scopes.includes(s)} onChange={(e) => setScopes(e.target.checked ? [...scopes, s] : scopes.filter((x) => x !== s))} />
                <code>{s}</code>
              </label>
            ))}
          </div>
        </fieldset>
        {error && (
          <p role="alert" className="notice error">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="button primary" disabled={busy} aria-busy={busy}>
            Create key
          </button>
        </div>
      </form>
    </section>
  );
}
