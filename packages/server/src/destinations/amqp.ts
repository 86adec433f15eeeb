/**
 * RabbitMQ (AMQP 0-9-1) destination: one connection and one confirm channel; a batch is
 * published without waiting between messages while fewer than a window's worth are
 * unconfirmed on the channel (confirm-window.ts says why), the rest go out as confirms come
 * back, and each message is reported when the broker confirms it (basic.ack) or refuses it
 * (basic.nack). Mandatory publishes make a message that no queue receives fail as
 * `unroutable` (the broker returns it before confirming it).
 */
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import type { BatchOutcomes } from './batch-outcomes.js';
import { ClientLibrary } from './client-library.js';
import { ConfirmWindow } from './confirm-window.js';
import { DestinationFailure, LazyConnection, startBatch, errorText } from './lazy-connection.js';
import { AMQP_SHORTSTR_MAX, renderName } from './name-template.js';
import { safeDecode } from './settings.js';
import { connectionOptions } from './connection-options.js';
import type { AmqpSettings, Destination, DestinationErrorCode, DestinationOptions, DestinationOutcome, DestinationSecrets, OutboundMessage } from './types.js';

const AMQPLIB = new ClientLibrary('amqplib', () => import('amqplib'));

/** Seconds between heartbeats: a silently dead broker is noticed within about two of them. */
const HEARTBEAT_S = 10;
/**
 * Most messages unconfirmed on the channel by default (DestinationOptions.amqpConfirmWindow): a
 * claim batch's worth, and a quarter of the engine's default in-flight budget, so three more
 * windows wait here while RabbitMQ works on one (bench/scenarios/destinations.mjs, docs/performance.md).
 */
const CONFIRM_WINDOW = 256;

/** One message of a batch on its way: waiting for room in the window, published, or decided. */
interface Outgoing {
  out: BatchOutcomes;
  i: number;
  message: OutboundMessage;
  routingKey: string;
  /** What its confirm said (null: taken), until the outcome is applied (see decideAfterWrites). */
  verdict: Verdict;
}

/** How a published message ended: null when the broker took it. */
type Verdict = { code: DestinationErrorCode; message: string } | null;

interface AmqpLink {
  model: ChannelModel;
  channel: ConfirmChannel;
  /** Why the channel closed, when the broker said (e.g. 404 for a missing exchange). */
  closeReason: DestinationFailure | null;
  /** Message ids the broker returned as unroutable and has not confirmed yet. */
  returned: Map<string, number>;
  window: ConfirmWindow<Outgoing>;
  /** Set when the channel or connection closed: nothing more goes out on this link. */
  closed: boolean;
  /** Messages whose confirm came, applied once the publishes their room went to are written. */
  decided: Outgoing[];
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
    const size = options.amqpConfirmWindow ?? CONFIRM_WINDOW;
    this.link = new LazyConnection<AmqpLink>({
      ...connectionOptions(options),
      open: (timeoutMs) => openLink(connect, timeoutMs, (link) => new ConfirmWindow<Outgoing>(size, {
        wanted: (o) => o.out.isOpen(o.i),
        publish: (o) => this.publish(link(), o),
      }), (l) => this.link.lost(l)),
      shut: (l) => l.model.close(),
      classify: classifyConnectError,
    });
  }

  async send(batch: readonly OutboundMessage[], deadlineMs: number): Promise<DestinationOutcome[]> {
    const { out, conn: link } = await startBatch(this.link, batch.length, deadlineMs);
    if (link === null) return out.done;
    if (link.closed) {
      const reason = closedReason(link);
      out.failRest(reason.code, reason.message);
      return out.done;
    }
    batch.forEach((message, i) => {
      const routingKey = renderName(this.settings.routing_key, message.eventType);
      if (Buffer.byteLength(routingKey) > AMQP_SHORTSTR_MAX) out.fail(i, 'config', `The routing key for ${message.eventType} is longer than ${AMQP_SHORTSTR_MAX} bytes`);
      else {
        out.holding(i);
        link.window.add({ out, i, message, routingKey, verdict: null });
      }
    });
    link.window.pump();
    return out.done;
  }

  close(): Promise<void> {
    return this.link.close();
  }

  /** Publishes one message of the window; its confirm makes room for the next. */
  private publish(link: AmqpLink, o: Outgoing): 'sent' | 'full' | 'failed' {
    const m = o.message;
    o.out.sent(o.i);
    let writable: boolean;
    try {
      writable = link.channel.publish(this.settings.exchange, o.routingKey, Buffer.from(m.body, 'utf8'), this.properties(m), (err: unknown) => {
        o.verdict = err === null || err === undefined ? confirmVerdict(link, m.deliveryId) : failureVerdict(link, err);
        // The room goes to the next messages first, so they are written before the engine
        // handles this outcome (see decideAfterWrites).
        link.window.settled();
        decideAfterWrites(link, o);
      });
    } catch (err) {
      // The channel closed between two publishes: nothing more can go out on it.
      const reason = link.closeReason;
      if (reason !== null) o.out.fail(o.i, reason.code, reason.message);
      else o.out.fail(o.i, 'broker_unreachable', `The channel closed while publishing: ${errorText(err)}`);
      return 'failed';
    }
    // Respect the socket's back-pressure rather than buffering without bound ('drain' resumes).
    return writable ? 'sent' : 'full';
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
      headers: m.headers,
    };
  }
}

function confirmVerdict(link: AmqpLink, messageId: string): Verdict {
  const returns = link.returned.get(messageId) ?? 0;
  if (returns === 0) return null;
  if (returns === 1) link.returned.delete(messageId);
  else link.returned.set(messageId, returns - 1);
  return { code: 'unroutable', message: 'The exchange routed the message to no queue (returned as mandatory)' };
}

function failureVerdict(link: AmqpLink, err: unknown): Verdict {
  if (err instanceof Error && err.message === 'message nacked') return { code: 'broker_nack', message: 'The broker refused the message (basic.nack)' };
  const reason = link.closeReason;
  if (reason !== null) return reason;
  return { code: 'broker_unreachable', message: `The connection closed before the broker confirmed: ${errorText(err)}` };
}

function closedReason(link: AmqpLink): DestinationFailure {
  return link.closeReason ?? new DestinationFailure('broker_unreachable', 'The channel closed before the message was published');
}

/**
 * Applies the outcomes decided by confirms after the publishes those confirms made room for
 * are on the socket. amqplib writes a channel's frames from a setImmediate it schedules once
 * the channel's buffer turns readable (a process.nextTick after the first publish); settling
 * outcomes at once would run the engine's work for every confirmed message (recording,
 * claiming more) before that write, and the broker would sit idle meanwhile. This nextTick is
 * queued after amqplib's, so this setImmediate runs after its write.
 */
function decideAfterWrites(link: AmqpLink, o: Outgoing): void {
  link.decided.push(o);
  if (link.decided.length > 1) return;
  process.nextTick(() => {
    setImmediate(() => {
      const decided = link.decided;
      link.decided = [];
      for (const d of decided) {
        if (d.verdict === null) d.out.ok(d.i);
        else d.out.fail(d.i, d.verdict.code, d.verdict.message);
      }
    });
  });
}

async function openLink(
  connect: Options.Connect, timeoutMs: number, makeWindow: (link: () => AmqpLink) => ConfirmWindow<Outgoing>, lost: (l: AmqpLink) => void,
): Promise<AmqpLink> {
  const amqplib = (await AMQPLIB.get()).default;
  const model = await amqplib.connect(connect, { timeout: timeoutMs, noDelay: true, clientProperties: { connection_name: 'herald-destination' } });
  try {
    const channel = await model.createConfirmChannel();
    const link: AmqpLink = { model, channel, closeReason: null, returned: new Map(), closed: false, decided: [], window: makeWindow(() => link) };
    const gone = (): void => {
      if (link.closed) return;
      link.closed = true;
      // Messages still waiting for the window will never go out on this link.
      const reason = closedReason(link);
      for (const o of link.window.drain()) o.out.fail(o.i, reason.code, reason.message);
      lost(link);
    };
    // 'error' must have a listener or it would crash the process; 'close' follows it.
    model.on('error', () => undefined);
    model.on('close', gone);
    channel.on('error', (err: unknown) => {
      link.closeReason = classifyChannelError(err);
    });
    channel.on('close', gone);
    channel.on('drain', () => link.window.unblock());
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
