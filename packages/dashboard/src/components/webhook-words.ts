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

/**
 * How a webhook is named in lists, titles, links and labels. An HTTP webhook by its URL; a
 * broker webhook by its broker's address (its `url`) and what it publishes to there, since
 * several webhooks may share a broker; a poll webhook by its description, else by its id: its
 * `url` is `poll:` for every one of them.
 */
export function webhookName(w: Pick<Webhook, 'id' | 'url' | 'description' | 'destination'>): string {
  const d = w.destination;
  switch (d.kind) {
    case 'poll':
      return w.description.trim() || `Poll · ${w.id}`;
    case 'amqp':
      return `${w.url} · ${d.exchange === '' ? 'default exchange' : d.exchange} · ${d.routing_key}`;
    case 'nats':
      return `${w.url} · ${d.subject}`;
    case 'redis-stream':
      return `${w.url} · ${d.stream}`;
    default:
      return w.url;
  }
}

/**
 * Whether a webhook's name (webhookName) is an address, shown in the monospace font; a poll
 * webhook's is its description, words shown as words.
 */
export function nameIsAddress(w: Pick<Webhook, 'destination'>): boolean {
  return w.destination.kind !== 'poll';
}

/** The description shown under a webhook's name, unless it is the name (webhookName). */
export function descriptionBesideName(w: Pick<Webhook, 'id' | 'url' | 'description' | 'destination'>): string | null {
  const text = w.description.trim();
  return text === '' || text === webhookName(w) ? null : text;
}
