import { newId } from '../ids.js';
import type { FanOutPlanner, NewEvent, PlannedDelivery, Subscriber } from '../store/types.js';

/**
 * Who gets a delivery of an event: enabled subscribers get a pending one; disabled and
 * deactivated ones a `skipped` one that can be recovered later (the seeds lose these;
 * Herald keeps them); drafts get nothing until published. Webhooks scoped to apps only
 * receive events of those apps.
 */
export const planFanOut: FanOutPlanner = (event: NewEvent, subscribers: readonly Subscriber[]): PlannedDelivery[] => {
  const planned: PlannedDelivery[] = [];
  for (const s of subscribers) {
    if (s.state === 'draft') continue;
    if (s.apps !== null && s.apps.length > 0 && (event.app_id === null || !s.apps.includes(event.app_id))) continue;
    planned.push({ id: newId('msg', event.created_at), webhook_id: s.id, status: s.state === 'enabled' ? 'pending' : 'skipped' });
  }
  return planned;
};
