/**
 * RabbitMQ (AMQP 0-9-1) destination: one connection and one confirm channel, publishes a
 * batch without waiting between messages, and reports each message when the broker confirms
 * it (basic.ack) or refuses it (basic.nack). Mandatory publishes make a message that no queue
 * receives fail as `unroutable` (the broker returns it before confirming it).
 */
import amqplib, { type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { BatchOutcomes } from './batch-outcomes.js';
import { DestinationFailure, LazyConnection, startBatch, errorText, raceTimeout } from './lazy-connection.js';
import { AMQP_SHORTSTR_MAX, renderName } from './name-template.js';
import { safeDecode } from './settings.js';
import { connectionOptions } from './connection-options.js';
import type { AmqpSettings, Destination, DestinationOptions, DestinationOutcome, DestinationSecrets, OutboundMessage } from './types.js';

/** Seconds between heartbeats: a silently dead broker is noticed within about two of them. */
const HEARTBEAT_S = 10;

interface AmqpLink {
  model: ChannelModel;
  channel: ConfirmChannel;
  /** Why the channel closed, when the broker said (e.g. 404 for a missing exchange). */
  closeReason: DestinationFailure | null;
  /** Message ids the broker returned as unroutable and has not confirmed yet. */
  returned: Map<string, number>;
}

export class AmqpDestination implements Destination {
  readonly kind = 'amqp' as const;
  private readonly link: LazyConnection<AmqpLink>;

  constructor(
    private readonly settings: AmqpSettings,
    secrets: DestinationSecrets,
    options: DestinationOptions = {},
  ) {
    const connect = connectOptions(settings, secrets);
    this.link = new LazyConnection<AmqpLink>({
      ...connectionOptions(options),
      open: (timeoutMs) => openLink(connect, timeoutMs, (l) => this.link.lost(l)),
      shut: (l) => l.model.close(),
      classify: classifyConnectError,
    });
  }

  async send(batch: readonly OutboundMessage[], deadlineMs: number): Promise<DestinationOutcome[]> {
    const { out, conn: link } = await startBatch(this.link, batch.length, deadlineMs);
    if (link === null) return out.done;
    for (let i = 0; i < batch.length && !out.settled; i++) {
      const m = batch[i] as OutboundMessage;
      const routingKey = renderName(this.settings.routing_key, m.eventType);
      if (Buffer.byteLength(routingKey) > AMQP_SHORTSTR_MAX) {
        out.fail(i, 'config', `The routing key for ${m.eventType} is longer than ${AMQP_SHORTSTR_MAX} bytes`);
        continue;
      }
      let writable: boolean;
      try {
        writable = link.channel.publish(this.settings.exchange, routingKey, Buffer.from(m.body, 'utf8'), this.properties(m), (err: unknown) => {
          if (err === null || err === undefined) confirmed(out, i, link, m.deliveryId);
          else publishFailed(out, i, link, err);
        });
      } catch (err) {
        // The channel closed between two publishes: nothing more can go out on it.
        out.failRest('broker_unreachable', `The channel closed while publishing: ${errorText(err)}`);
        break;
      }
      // Respect the socket's back-pressure rather than buffering a whole batch in memory.
      if (!writable) await drained(link.channel, out.remainingMs(deadlineMs));
    }
    return out.done;
  }

  close(): Promise<void> {
    return this.link.close();
  }

  private properties(m: OutboundMessage): Options.Publish {
    const ts = Number(m.headers['webhook-timestamp']);
    return {
      persistent: this.settings.persistent,
      mandatory: this.settings.mandatory,
      messageId: m.deliveryId,
      type: m.eventType,
      contentType: m.headers['content-type'] ?? 'application/json',
      timestamp: Number.isSafeInteger(ts) ? ts : Math.floor(Date.now() / 1000),
      appId: 'herald',
      headers: { ...m.headers },
    };
  }
}

function confirmed(out: BatchOutcomes, i: number, link: AmqpLink, messageId: string): void {
  const returns = link.returned.get(messageId) ?? 0;
  if (returns === 0) {
    out.ok(i);
    return;
  }
  if (returns === 1) link.returned.delete(messageId);
  else link.returned.set(messageId, returns - 1);
  out.fail(i, 'unroutable', 'The exchange routed the message to no queue (returned as mandatory)');
}

function publishFailed(out: BatchOutcomes, i: number, link: AmqpLink, err: unknown): void {
  if (err instanceof Error && err.message === 'message nacked') {
    out.fail(i, 'broker_nack', 'The broker refused the message (basic.nack)');
    return;
  }
  const reason = link.closeReason;
  if (reason !== null) out.fail(i, reason.code, reason.message);
  else out.fail(i, 'broker_unreachable', `The connection closed before the broker confirmed: ${errorText(err)}`);
}

async function openLink(connect: Options.Connect, timeoutMs: number, lost: (l: AmqpLink) => void): Promise<AmqpLink> {
  const model = await amqplib.connect(connect, { timeout: timeoutMs, noDelay: true, clientProperties: { connection_name: 'herald-destination' } });
  try {
    const channel = await model.createConfirmChannel();
    const link: AmqpLink = { model, channel, closeReason: null, returned: new Map() };
    // 'error' must have a listener or it would crash the process; 'close' follows it.
    model.on('error', () => undefined);
    model.on('close', () => lost(link));
    channel.on('error', (err: unknown) => {
      link.closeReason = classifyChannelError(err);
    });
    channel.on('close', () => lost(link));
    channel.on('return', (msg: { properties: { messageId?: unknown } }) => {
      const id = msg.properties.messageId;
      if (typeof id === 'string') link.returned.set(id, (link.returned.get(id) ?? 0) + 1);
    });
    return link;
  } catch (err) {
    await model.close().catch(() => undefined);
    throw err;
  }
}

function drained(channel: ConfirmChannel, timeoutMs: number): Promise<void> {
  let onDrain: () => void = () => undefined;
  const p = new Promise<void>((resolve) => {
    onDrain = resolve;
    channel.once('drain', onDrain);
    channel.once('close', onDrain);
  });
  return raceTimeout(p, timeoutMs, () => undefined).finally(() => {
    channel.off('drain', onDrain);
    channel.off('close', onDrain);
  });
}

function connectOptions(settings: AmqpSettings, secrets: DestinationSecrets): Options.Connect {
  const url = new URL(settings.url);
  const tls = url.protocol === 'amqps:';
  const path = url.pathname.replace(/^\//, '');
  const o: Options.Connect = {
    protocol: tls ? 'amqps' : 'amqp',
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? (tls ? 5671 : 5672) : Number(url.port),
    vhost: path === '' ? '/' : safeDecode(path),
    heartbeat: HEARTBEAT_S,
  };
  // Left out, amqplib falls back to guest/guest, as the AMQP URI rules say.
  if (url.username !== '') o.username = safeDecode(url.username);
  if (secrets.password !== undefined) o.password = secrets.password;
  return o;
}

function classifyConnectError(err: unknown): DestinationFailure {
  const text = errorText(err);
  if (/ACCESS[-_]REFUSED|\b403\b/.test(text)) return new DestinationFailure('broker_auth', `The broker refused the credentials: ${text}`);
  // A connection.close answering connection.open is about the vhost (amqplib drops its reply text).
  if (/NOT[-_]ALLOWED|\b530\b|ConnectionOpenOk; got <ConnectionClose/.test(text)) {
    return new DestinationFailure('config', `The broker refused the virtual host (it does not exist, or this user may not use it): ${text}`);
  }
  return new DestinationFailure('broker_unreachable', `Cannot connect to the broker: ${text}`);
}

function classifyChannelError(err: unknown): DestinationFailure {
  const code = (err as { code?: unknown }).code;
  const text = errorText(err);
  if (code === 404) return new DestinationFailure('config', `The broker closed the channel: ${text}`);
  if (code === 403) return new DestinationFailure('broker_auth', `The broker closed the channel: ${text}`);
  return new DestinationFailure('broker_error', `The broker closed the channel: ${text}`);
}
