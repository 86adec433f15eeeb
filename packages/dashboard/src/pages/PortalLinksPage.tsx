import { useId, useState, type FormEvent } from 'react';
import { errorMessage } from '../api/client';
import type { PortalAccess, PortalLink } from '../api/types';
import { useResource } from '../api/use-resource';
import { useSession } from '../auth/session';
import { CodeBlock } from '../components/CodeBlock';
import { CopyButton } from '../components/CopyButton';
import { formatTime } from '../format';
import { usePageTitle } from './page-title';

const TTLS = [
  { s: 900, label: '15 minutes' },
  { s: 3600, label: '1 hour' },
  { s: 8 * 3600, label: '8 hours' },
  { s: 86_400, label: '24 hours' },
];

/**
 * Makes a portal link by hand: the same call a SaaS backend makes to embed Herald for a
 * customer (POST /orgs/{org}/portal-links), shown with its curl form.
 */
export function PortalLinksPage({ org }: { org: string }) {
  usePageTitle('Portal links');
  const { client, can } = useSession();
  const apps = useResource(can('apps:read') ? `apps:${org}` : null, () => client.listApps(org));
  const id = useId();
  const [access, setAccess] = useState<PortalAccess>('manage');
  const [app, setApp] = useState('');
  const [ttl, setTtl] = useState(3600);
  const [email, setEmail] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [link, setLink] = useState<PortalLink | null>(null);

  const body = { access, ...(app ? { app_id: app } : {}), ttl_seconds: ttl, ...(email ? { user_email: email } : {}) };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setLink(await client.createPortalLink(org, body));
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  const curl = `curl -s -X POST ${window.location.origin}/api/v1/orgs/${org}/portal-links \\\n  -H "Authorization: Bearer $HERALD_KEY" -H "Content-Type: application/json" \\\n  -d '${JSON.stringify(body)}'`;

  return (
    <div className="page narrow">
      <h1>Portal links</h1>
      <p>
        A portal link opens this dashboard limited to this org's webhooks (and optionally one app): no org list, no API keys. Your product makes
        one for a signed-in customer and opens or embeds it; the link stops working when it expires.
      </p>
      <form className="card form-card" onSubmit={(e) => void submit(e)}>
        <fieldset>
          <legend>Access</legend>
          <label className="check">
            <input type="radio" name={`${id}-access`} checked={access === 'manage'} onChange={() => setAccess('manage')} />
            Manage: create, change and delete webhooks and keys, test, resend
          </label>
          <label className="check">
            <input type="radio" name={`${id}-access`} checked={access === 'read'} onChange={() => setAccess('read')} />
            Read only: look at webhooks and deliveries
          </label>
        </fieldset>
        <div className="form-grid two">
          <div className="field">
            <label htmlFor={`${id}-app`}>Limit to app</label>
            <select id={`${id}-app`} value={app} onChange={(e) => setApp(e.target.value)}>
              <option value="">Every app of the org</option>
              {(apps.data?.data ?? []).map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name} ({a.id})
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-ttl`}>Valid for</label>
            <select id={`${id}-ttl`} value={ttl} onChange={(e) => setTtl(Number(e.target.value))}>
              {TTLS.map((t) => (
                <option key={t.s} value={t.s}>
                  {t.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field span-2">
            <label htmlFor={`${id}-email`}>Customer's email (optional)</label>
            <input id={`${id}-email`} type="email" value={email} onChange={(e) => setEmail(e.target.value)} aria-describedby={`${id}-email-hint`} />
            <p id={`${id}-email-hint`} className="hint">
              Recorded as the author of their changes, so alert mail reaches them.
            </p>
          </div>
        </div>
        {error && (
          <p role="alert" className="notice error">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="button primary" disabled={busy} aria-busy={busy}>
            Create link
          </button>
        </div>
      </form>
      {link && (
        <section className="card one-time" aria-labelledby={`${id}-made`} role="status">
          <h2 id={`${id}-made`}>Link ready</h2>
          <p>
            {link.access === 'read' ? 'Read-only' : 'Manage'} access to <strong>{link.org_id}</strong>
            {link.app_id && <> (app {link.app_id})</>}, until {formatTime(link.expires_at)}. Anyone holding it has that access: send it only to
            that customer.
          </p>
          <p className="break">
            <code>{link.url}</code>
          </p>
          <p className="button-row">
            <CopyButton text={link.url} label="Copy link" />
            <a className="button small" href={link.url} target="_blank" rel="noopener noreferrer">
              Open in a new tab
            </a>
          </p>
        </section>
      )}
      <section aria-labelledby={`${id}-api`}>
        <h2 id={`${id}-api`}>The same from your backend</h2>
        <CodeBlock text={curl} label="curl command" copy />
      </section>
    </div>
  );
}
