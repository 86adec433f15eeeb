/**
 * Broker destinations: where a delivery goes when it is not an HTTP POST. Each kind publishes
 * the same signed bytes an HTTP receiver would get, with the signature headers beside them,
 * and reports one outcome per message. Glossary:
 * - settings: what a webhook stores about its destination, safe to show (no credentials);
 * - secrets: the credentials taken out of the settings, sealed at rest like signing secrets;
 * - confirmed: the broker took responsibility for the message (publisher confirm, JetStream
 *   publish ack, XADD reply); only then is an outcome `ok`.
 */

/** One delivery ready to go out: signed bytes = sent bytes. */
export interface OutboundMessage {
  /** Also the webhook-id / broker de-duplication id. */
  deliveryId: string;
  /** e.g. "conversation.created" */
  eventType: string;
  /** The signed request headers (webhook-id, webhook-timestamp, webhook-signature, content-type…). */
  headers: Record<string, string>;
  /** The exact signed body. */
  body: string;
}

/**
 * Why a message was not confirmed. A small fixed set, so the engine can map each to a retry
 * decision without reading messages:
 * - `broker_unreachable`: no connection (refused, reset, closed, or waiting before the next
 *   connect attempt); nothing reached the broker, or the connection died before the confirm;
 * - `broker_auth`: the broker refused the credentials;
 * - `broker_nack`: the broker answered that it did not take the message (AMQP nack,
 *   JetStream error such as a full stream);
 * - `unroutable`: AMQP only: the exchange routed the message to no queue (mandatory publish);
 * - `timeout`: sent, but no confirm before the deadline (the broker may still store it:
 *   a retry is safe because the delivery id de-duplicates);
 * - `config`: the settings cannot work against this broker (missing exchange, no JetStream
 *   stream captures the subject, the key is not a stream, a rendered name is invalid);
 * - `broker_error`: any other error the broker answered;
 * - `blocked_address`: a broker host is (or now resolves to) a private or reserved address
 *   while the operator does not allow those (checked before every connection is opened).
 */
export const DESTINATION_ERROR_CODES = [
  'broker_unreachable',
  'broker_auth',
  'broker_nack',
  'unroutable',
  'timeout',
  'config',
  'broker_error',
  'blocked_address',
] as const;
export type DestinationErrorCode = (typeof DESTINATION_ERROR_CODES)[number];

export type DestinationOutcome =
  /** The broker confirmed / acked. */
  | { ok: true; durationMs: number; detail?: string }
  | { ok: false; durationMs: number; errorCode: DestinationErrorCode; errorMessage: string };

export type DestinationKind = 'amqp' | 'nats' | 'redis-stream' | 'poll';

/** The destination kinds Herald publishes to (`poll` is pulled by its consumer instead). */
export type BrokerKind = Exclude<DestinationKind, 'poll'>;

export interface Destination {
  readonly kind: BrokerKind;
  /**
   * Sends a batch; one outcome per message, same order; never throws for per-message failures.
   * `deadlineMs` is a duration from the call: every outcome is settled within it (a message
   * still unconfirmed then is a `timeout`), including the time to (re)connect.
   */
  send(batch: readonly OutboundMessage[], deadlineMs: number): Promise<DestinationOutcome[]>;
  /** Closes the connection; sends after close answer `broker_unreachable`. */
  close(): Promise<void>;
}

/** RabbitMQ (AMQP 0-9-1): publish to an exchange with publisher confirms. */
export interface AmqpSettings {
  kind: 'amqp';
  /** amqp:// or amqps:// URL without the password (it is a secret): user@host:port/vhost. */
  url: string;
  /** Exchange to publish to; "" is the default exchange (the routing key names a queue). */
  exchange: string;
  /** Routing key template, e.g. "herald.{event_type}". */
  routing_key: string;
  /** Delivery mode 2 (written to disk by durable queues). Default true. */
  persistent: boolean;
  /** Publish as mandatory: a message no queue receives fails as `unroutable`. Default true. */
  mandatory: boolean;
}

/** NATS JetStream: publish with a publish acknowledgement and Nats-Msg-Id de-duplication. */
export interface NatsSettings {
  kind: 'nats';
  /** nats:// or tls:// URLs, no credentials in them. */
  servers: string[];
  /** Subject template, e.g. "herald.{event_type}"; a JetStream stream must capture it. */
  subject: string;
  /** User name when the server uses user/password auth (the password is a secret). */
  user?: string;
}

/** Redis Streams: XADD to a stream key. */
export interface RedisStreamSettings {
  kind: 'redis-stream';
  /** redis:// or rediss:// URL without the password (it is a secret): [user@]host:port/db. */
  url: string;
  /** Stream key template, e.g. "herald:{event_type}". */
  stream: string;
  /** Approximate maximum length (XADD MAXLEN ~ n); absent: the stream is never trimmed. */
  maxlen?: number;
}

/**
 * Pull delivery: nothing is pushed. The webhook's consumer leases its due deliveries with
 * `GET …/webhooks/{id}/poll` and answers each with `POST …/poll/ack` (engine/pull-queue.ts).
 */
export interface PollSettings {
  kind: 'poll';
}

export type BrokerSettings = AmqpSettings | NatsSettings | RedisStreamSettings;
export type DestinationSettings = BrokerSettings | PollSettings;

/** Credentials taken out of the settings; sealed at rest (see secrets.ts). */
export interface DestinationSecrets {
  /** AMQP or Redis password from the URL, or the NATS user's password. */
  password?: string;
  /** NATS token auth. */
  token?: string;
}

/** Connection behaviour; defaults suit production, tests shorten them. */
export interface DestinationOptions {
  /** Longest wait for a connection to open, within each send's deadline. Default 5000. */
  connectTimeoutMs?: number;
  /** After a failed connect, sends fail fast until this long has passed; doubles per failure. Default 200. */
  reconnectInitialMs?: number;
  /** Cap of that doubling wait. Default 5000. */
  reconnectMaxMs?: number;
  /**
   * Asked before every connection is opened, the first and each reconnect: null lets it open;
   * otherwise why not (the connect fails with `blocked_address` and nothing is dialled). The
   * engine checks the broker hosts against the outbound address rule here, so a name that
   * resolves to a private address only after the first connection is refused as well.
   */
  checkAddress?: () => Promise<string | null>;
  /** AMQP: most messages published and not yet confirmed on the channel; more wait their turn. Default 256. */
  amqpConfirmWindow?: number;
}
