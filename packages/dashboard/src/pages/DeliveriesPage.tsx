import { useMemo } from 'react';
import { useResource } from '../api/use-resource';
import { useSession } from '../auth/session';
import { webhookName } from '../components/webhook-words';
import { usePageTitle } from './page-title';
import { DeliveryLog } from './deliveries/DeliveryLog';

/** Every delivery of the org, newest first, with filters. */
export function DeliveriesPage({ org }: { org: string }) {
  usePageTitle('Deliveries');
  const { client } = useSession();
  const hooks = useResource(`webhooks:${org}`, () => client.listWebhooks(org));
  const names = useMemo(() => new Map((hooks.data?.data ?? []).map((w) => [w.id, webhookName(w)])), [hooks.data]);
  const subscribed = useMemo(() => [...new Set((hooks.data?.data ?? []).flatMap((w) => w.events))], [hooks.data]);
  return (
    <div className="page">
      <div className="page-head">
        <h1>Deliveries</h1>
      </div>
      <p className="muted">Each event sent to each webhook, with every attempt. Open one to see the requests and responses, or resend it.</p>
      <DeliveryLog org={org} webhookNames={names} subscribedTypes={subscribed} route={{ name: 'deliveries', org }} />
    </div>
  );
}
