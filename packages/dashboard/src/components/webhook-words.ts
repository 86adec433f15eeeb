import type { Webhook } from '../api/types';

/** How a webhook's subscriptions read in lists. */
export function eventsWords(events: string[]): string {
  if (events.includes('*')) return 'Every event';
  if (events.length <= 2) return events.join(', ');
  return `${events.slice(0, 2).join(', ')} +${events.length - 2} more`;
}

export function appsWords(w: Pick<Webhook, 'apps'>): string {
  if (w.apps === null) return 'All apps';
  if (w.apps.length === 0) return 'No app';
  return w.apps.join(', ');
}
