import { useId, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import { useResource } from '../api/use-resource';
import { useSession } from '../auth/session';
import { ErrorNotice, Loading } from '../components/Status';
import { formatTime } from '../format';
import { href, navigate } from '../router/routes';
import { usePageTitle } from './page-title';

/** An admin key reaches every org: pick one (or create one). */
export function OrgsPage() {
  usePageTitle('Orgs');
  const { client, can } = useSession();
  const orgs = useResource('orgs', () => client.listOrgs());
  return (
    <div className="page">
      <div className="page-head">
        <h1>Orgs</h1>
      </div>
      <p className="muted">Each org is one tenant with its own webhooks, apps and delivery log. Pick the one to work on.</p>
      <ErrorNotice error={orgs.error} />
      {orgs.loading && !orgs.data && <Loading what="orgs" />}
      {orgs.data && orgs.data.data.length === 0 && <p>No org yet{can('orgs:write') ? ': create the first one below.' : '.'}</p>}
      {orgs.data && orgs.data.data.length > 0 && (
        <ul className="card-list">
          {orgs.data.data.map((o) => (
            <li key={o.id} className="card">
              <a className="card-title" href={href({ name: 'webhooks', org: o.id })}>
                {o.name}
              </a>
              <span className="muted small-text">
                {' '}
                <code>{o.id}</code> · owner {o.owner_email} · since {formatTime(o.created_at)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {can('orgs:write') && <CreateOrg />}
    </div>
  );
}

function CreateOrg() {
  const { client } = useSession();
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { id: useId(), name: useId(), email: useId(), hint: useId() };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const o = await client.createOrg({ id, name, owner_email: email });
      navigate({ name: 'webhooks', org: o.id });
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card form-card" aria-labelledby={`${ids.id}-h`}>
      <h2 id={`${ids.id}-h`}>Create an org</h2>
      <form onSubmit={(e) => void submit(e)} className="form-grid">
        <div className="field">
          <label htmlFor={ids.id}>Org id</label>
          <input id={ids.id} value={id} onChange={(e) => setId(e.target.value)} required pattern="[a-z0-9][a-z0-9_\-]{0,62}" aria-describedby={ids.hint} />
          <p id={ids.hint} className="hint">
            Lowercase letters, digits, - and _; used in API paths.
          </p>
        </div>
        <div className="field">
          <label htmlFor={ids.name}>Name</label>
          <input id={ids.name} value={name} onChange={(e) => setName(e.target.value)} required />
        </div>
        <div className="field">
          <label htmlFor={ids.email}>Owner email</label>
          <input id={ids.email} type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </div>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="button primary" disabled={busy}>
            Create org
          </button>
        </div>
      </form>
    </section>
  );
}
