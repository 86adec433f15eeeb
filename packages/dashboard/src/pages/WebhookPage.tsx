import { useState } from 'react';
import type { Webhook } from '../api/types';
import { useResource } from '../api/use-resource';
import { useSession } from '../auth/session';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorNotice, Loading } from '../components/Status';
import { descriptionBesideName, nameIsAddress, webhookName } from '../components/webhook-words';
import { StateControl } from '../components/WebhookState';
import { href, navigate, type WebhookTab } from '../router/routes';
import { usePageTitle } from './page-title';
import { EventsPanel } from './webhook/EventsPanel';
import { KeysPanel } from './webhook/KeysPanel';
import { Overview } from './webhook/Overview';
import { WebhookDeliveries } from './webhook/WebhookDeliveries';
import { WebhookForm } from './webhook-form/WebhookForm';

const TAB_LABELS: Record<WebhookTab, string> = {
  overview: 'Overview',
  deliveries: 'Deliveries',
  keys: 'Keys',
  events: 'Example, test and trial',
  edit: 'Settings',
};

/** One webhook: its figures and chart, delivery log, keys, test and trial, and settings. */
export function WebhookPage({ org, id, tab }: { org: string; id: string; tab: WebhookTab }) {
  const { client, can } = useSession();
  const hook = useResource(`webhook:${org}:${id}`, () => client.getWebhook(org, id));
  const [deleting, setDeleting] = useState(false);
  const w = hook.data;
  usePageTitle(w ? `${TAB_LABELS[tab]} · ${webhookName(w)}` : 'Webhook');

  const tabs: WebhookTab[] = ['overview'];
  if (can('deliveries:read')) tabs.push('deliveries');
  if (can('keys:read')) tabs.push('keys');
  tabs.push('events');
  if (can('webhooks:write')) tabs.push('edit');

  const update = (next: Webhook) => hook.set({ ...w!, ...next });

  return (
    <div className="page">
      <p className="breadcrumb">
        <a href={href({ name: 'webhooks', org })}>Webhooks</a>
      </p>
      {/* One heading element throughout loading, so focus put on it after navigation stays. */}
      <div className="page-head">
        <div className="title-block">
          <h1 className={w ? `break webhook-title${nameIsAddress(w) ? ' address' : ''}` : undefined}>{w ? webhookName(w) : 'Webhook'}</h1>
          {w && descriptionBesideName(w) && <p className="muted">{descriptionBesideName(w)}</p>}
        </div>
        {w && (
          <div className="head-actions">
            <StateControl w={w} org={org} onChange={update} />
            {can('webhooks:delete') && (
              <button type="button" className="button danger-outline" onClick={() => setDeleting(true)}>
                Delete webhook
              </button>
            )}
          </div>
        )}
      </div>
      <ErrorNotice error={hook.error} />
      {!w && !hook.error && <Loading what="the webhook" />}
      {w && (
        <>
          <nav aria-label="Webhook sections" className="tabs">
            <ul>
              {tabs.map((t) => (
                <li key={t}>
                  <a href={href({ name: 'webhook', org, id, tab: t })} aria-current={t === tab ? 'page' : undefined}>
                    {TAB_LABELS[t]}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div className="tab-body">
            {tab === 'overview' && <Overview org={org} w={w} />}
            {tab === 'deliveries' && <WebhookDeliveries org={org} w={w} />}
            {tab === 'keys' && <KeysPanel org={org} w={w} />}
            {tab === 'events' && <EventsPanel org={org} w={w} />}
            {tab === 'edit' && (
              <WebhookForm
                org={org}
                initial={w}
                onSaved={(next) => {
                  update(next);
                  navigate({ name: 'webhook', org, id, tab: 'overview' }, { saved: '1' });
                }}
                onCancel={() => navigate({ name: 'webhook', org, id, tab: 'overview' })}
              />
            )}
          </div>
          <ConfirmDialog
            open={deleting}
            title="Delete this webhook?"
            confirmLabel="Delete webhook"
            danger
            onClose={() => setDeleting(false)}
            onConfirm={async () => {
              await client.deleteWebhook(org, w.id);
              navigate({ name: 'webhooks', org });
            }}
          >
            <p className="break">
              <strong>{webhookName(w)}</strong> stops receiving events at once; its pending deliveries are cancelled and its keys are destroyed. This cannot
              be undone.
            </p>
          </ConfirmDialog>
        </>
      )}
    </div>
  );
}
