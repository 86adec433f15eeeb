import { newId } from '../ids.js';
import { compileFilter } from '../policy/filter.js';
import type { FanOutPlanner, NewEvent, PlannedDelivery, Subscriber } from '../store/types.js';

/**
 * Who gets a delivery of an event: enabled subscribers get a pending one (a `batched` one
 * when the webhook takes digests: it waits for its period, see digest-scheduler.ts); disabled
 * and deactivated ones a `skipped` one that can be recovered later (the seeds lose these;
 * Herald keeps them); drafts get nothing until published. Webhooks scoped to apps only
 * receive events of those apps, and a webhook's rule (filter) must match the envelope. An
 * event that names its only recipients (operational events) reaches those alone. The planner
 * is a pure function of its input, so any thread that writes the store can run it.
 */
export const planFanOut: FanOutPlanner = (event: NewEvent, subscribers: readonly Subscriber[]): PlannedDelivery[] => {
  const planned: PlannedDelivery[] = [];
  let envelope: Record<string, unknown> | null = null;
  for (const s of subscribers) {
    if (s.state === 'draft') continue;
    if (event.only_webhooks !== undefined && !event.only_webhooks.includes(s.id)) continue;
    if (s.apps !== null && s.apps.length > 0 && (event.app_id === null || !s.apps.includes(event.app_id))) continue;
    if (s.filter !== null) {
      // The rule sees the envelope as the receiver would (built once per event, only when needed).
      envelope ??= filterEnvelope(event);
      if (!compileFilter(s.filter).matches(envelope)) continue;
    }
    const status = s.state !== 'enabled' ? 'skipped' : s.digest ? 'batched' : 'pending';
    planned.push({
      id: newId('msg', event.created_at), webhook_id: s.id, status,
      ...(s.fifo && status === 'pending' ? { fifo: true } : {}),
      // Skipped ones too: recovered later, they go to the consumer's queue.
      ...(s.pull ? { pull: true } : {}),
    });
  }
  return planned;
};

function filterEnvelope(e: NewEvent): Record<string, unknown> {
  return {
    version: '1', event: e.type, event_time: e.event_time, org_id: e.org_id, app_id: e.app_id,
    entity_type: e.entity_type, entity_id: e.entity_id, entity: JSON.parse(e.entity) as unknown, modified_fields: e.modified_fields,
  };
}
