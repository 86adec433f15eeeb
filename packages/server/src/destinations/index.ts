/** Broker destinations: settings checked on save, sealed credentials, and the factory. */
import { AmqpDestination } from './amqp.js';
import { NatsDestination } from './nats.js';
import { RedisStreamDestination } from './redis-stream.js';
import type { Destination, DestinationOptions, DestinationSecrets, DestinationSettings } from './types.js';

export * from './types.js';
export {
  checkDestination,
  parseDestination,
  DestinationInputSchema,
  AmqpInputSchema,
  NatsInputSchema,
  RedisStreamInputSchema,
  PollInputSchema,
  DESTINATION_KINDS,
  DESTINATION_SECRET_FIELDS,
  type DestinationInput,
  type ParsedDestination,
} from './settings.js';
export { sealDestinationSecrets, openDestinationSecrets } from './secrets.js';

/**
 * A destination for stored settings and opened secrets. Nothing connects until the first
 * send; one destination keeps its connection across batches, so make one per webhook (or per
 * distinct settings) and close it when the settings change or the worker stops.
 */
export function createDestination(settings: DestinationSettings, secrets: DestinationSecrets, options: DestinationOptions = {}): Destination {
  switch (settings.kind) {
    case 'amqp':
      return new AmqpDestination(settings, secrets, options);
    case 'nats':
      return new NatsDestination(settings, secrets, options);
    case 'redis-stream':
      return new RedisStreamDestination(settings, secrets, options);
    case 'poll':
      throw new Error('a poll destination is pulled by its consumer (engine/pull-queue.ts): there is nothing to publish to');
  }
}
