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

const DESTINATION_NAMES: Record<string, string> = {
  http: 'HTTP POST to its URL',
  amqp: 'RabbitMQ (AMQP) exchange',
  nats: 'NATS JetStream subject',
  'redis-stream': 'Redis stream',
  poll: 'Pulled by its consumer (poll, e.g. herald listen)',
};

/** Where a webhook's deliveries go, in a line (its Settings tab shows every setting). */
export function destinationWords(w: Pick<Webhook, 'destination'>): string {
  const d = w.destination;
  const name = DESTINATION_NAMES[d.kind] ?? d.kind;
  if (d.kind === 'amqp') return `${name} "${d.exchange}", routing key ${d.routing_key}`;
  if (d.kind === 'nats') return `${name} ${d.subject}`;
  if (d.kind === 'redis-stream') return `${name} ${d.stream}`;
  return name;
}
