import { useState } from 'react';
import type { Webhook } from '../api/types';
import { useResource } from '../api/use-resource';
import { useSession } from '../auth/session';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorNotice, Loading } from '../components/Status';
import { appsWords, descriptionBesideName, eventsWords, nameIsAddress, webhookName } from '../components/webhook-words';
import { StateControl } from '../components/WebhookState';
import { formatAgo, formatPercent, formatTime } from '../format';
import { href } from '../router/routes';
import { usePageTitle } from './page-title';

/**
 * The webhook list (seed 002's dashboard: failures, last triggered, apps; plus state with
 * its toggle and the last 24 h success rate), with create and delete.
 */
export function WebhooksPage({ org }: { org: string }) {
  usePageTitle('Webhooks');
  const { client, can } = useSession();
  const list = useResource(`webhooks:${org}`, () => client.listWebhooks(org));
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const rows = list.data?.data ?? [];

  const replace = (w: Webhook) => list.set({ ...list.data!, data: rows.map((x) => (x.id === w.id ? { ...x, ...w } : x)) });

  return (
    <div className="page">
      <div className="page-head">
        <h1>Webhooks</h1>
        {can('webhooks:write') && (
          <a className="button primary" href={href({ name: 'webhook-new', org })}>
            Create webhook
          </a>
        )}
      </div>
      <ErrorNotice error={list.error} />
      {list.loading && !list.data && <Loading what="webhooks" />}
      {list.data && rows.length === 0 && (
        <div className="empty card">
          <p>No webhook yet.</p>
          <p className="muted">
            A webhook is a URL that receives a signed POST each time one of its events happens.
            {can('webhooks:write') && ' Create one to start receiving events.'}
          </p>
        </div>
      )}
      {rows.length > 0 && (
        <table className="table responsive webhooks-table">
          <caption className="visually-hidden">Webhooks of this org, with their last 24 hours</caption>
          <thead>
            <tr>
              <th scope="col">Webhook</th>
              <th scope="col">Events</th>
              <th scope="col">Apps</th>
              <th scope="col">State</th>
              <th scope="col" className="num">
                Failures <span className="muted">24 h</span>
              </th>
              <th scope="col">Last triggered</th>
              <th scope="col" className="num">
                Success <span className="muted">24 h</span>
              </th>
              {can('webhooks:delete') && (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {rows.map((w) => (
              <tr key={w.id}>
                <td data-label="Webhook" className="url-cell">
                  <a href={href({ name: 'webhook', org, id: w.id, tab: 'overview' })} className={nameIsAddress(w) ? 'break address' : 'break'}>
                    {webhookName(w)}
                  </a>
                  {descriptionBesideName(w) && <span className="muted small-text block description">{descriptionBesideName(w)}</span>}
                </td>
                <td data-label="Events" title={w.events.join(', ')}>
                  {eventsWords(w.events)}
                </td>
                <td data-label="Apps">{appsWords(w)}</td>
                <td data-label="State">
                  <StateControl w={w} org={org} onChange={replace} />
                </td>
                <td data-label="Failures (24 h)" className={`num ${(w.failures_24h ?? 0) > 0 ? 'bad-text' : ''}`}>
                  {w.failures_24h ?? '—'}
                </td>
                <td data-label="Last triggered">
                  <time dateTime={w.last_triggered_at ?? undefined} title={formatTime(w.last_triggered_at)}>
                    {formatAgo(w.last_triggered_at)}
                  </time>
                </td>
                <td data-label="Success (24 h)" className="num">
                  {formatPercent(w.success_rate_24h)}
                  {w.attempts_24h ? <span className="muted small-text block">{w.attempts_24h} attempts</span> : null}
                </td>
                {can('webhooks:delete') && (
                  <td data-label="Actions">
                    <button type="button" className="button small danger-outline" onClick={() => setDeleting(w)}>
                      Delete<span className="visually-hidden"> {webhookName(w)}</span>
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this webhook?"
        confirmLabel="Delete webhook"
        danger
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          await client.deleteWebhook(org, deleting!.id);
          list.set({ ...list.data!, data: rows.filter((x) => x.id !== deleting!.id) });
        }}
      >
        <p className="break">
          <strong>{deleting && webhookName(deleting)}</strong> stops receiving events at once; its pending deliveries are cancelled and its keys are destroyed. This
          cannot be undone.
        </p>
      </ConfirmDialog>
    </div>
  );
}
