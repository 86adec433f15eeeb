import { oneTimeKey } from '../components/one-time-secret';
import { href, navigate } from '../router/routes';
import { usePageTitle } from './page-title';
import { WebhookForm } from './webhook-form/WebhookForm';

export function WebhookNewPage({ org }: { org: string }) {
  usePageTitle('Create webhook');
  return (
    <div className="page">
      <p className="breadcrumb">
        <a href={href({ name: 'webhooks', org })}>Webhooks</a>
      </p>
      <h1>Create a webhook</h1>
      <WebhookForm
        org={org}
        onSaved={(w) => {
          if ('key' in w) oneTimeKey.put(w.id, w.key);
          navigate({ name: 'webhook', org, id: w.id, tab: 'overview' }, { created: '1' });
        }}
        onCancel={() => navigate({ name: 'webhooks', org })}
      />
    </div>
  );
}
