/**
 * Redis Streams destination: one XADD per message, a batch sent as one pipeline, each message
 * confirmed by its XADD reply (the new entry id). Fields: `id` (the delivery id, for consumers
 * to drop duplicates: Redis has no de-duplication of its own), `event_type`, `headers` (the
 * signed headers as JSON) and `body` (the exact signed bytes). Client: ioredis.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { ClientLibrary } from './client-library.js';
import { connectionOptions } from './connection-options.js';
import { DestinationFailure, LazyConnection, startBatch, errorText } from './lazy-connection.js';
import { renderName } from './name-template.js';
import { safeDecode } from './settings.js';
import type { Destination, DestinationErrorCode, DestinationOptions, DestinationOutcome, DestinationSecrets, OutboundMessage, RedisStreamSettings } from './types.js';

const IOREDIS = new ClientLibrary('ioredis', () => import('ioredis'));

export class RedisStreamDestination implements Destination {
  readonly kind = 'redis-stream' as const;
  private readonly link: LazyConnection<Redis>;

  constructor(
    private readonly settings: RedisStreamSettings,
    secrets: DestinationSecrets,
    options: DestinationOptions = {},
  ) {
    const base = redisOptions(settings, secrets);
    this.link = new LazyConnection<Redis>({
      ...connectionOptions(options),
      open: async (timeoutMs) => {
        const { Redis } = await IOREDIS.get();
        const r = new Redis({ ...base, connectTimeout: timeoutMs });
        // 'error' must have a listener or ioredis reports it as unhandled; 'end' follows it.
        // connect() itself only says "Connection is closed.": the reason (refused, WRONGPASS)
        // came as an 'error' event before.
        let reason: unknown = null;
        r.on('error', (err: unknown) => {
          reason = err;
        });
        r.once('end', () => this.link.lost(r));
        try {
          await r.connect();
        } catch (err) {
          r.disconnect();
          throw reason ?? err;
        }
        return r;
      },
      shut: async (r) => {
        await r.quit().catch(() => r.disconnect());
      },
      classify: (err) => {
        const [code, message] = classify(err);
        return new DestinationFailure(code, code === 'broker_unreachable' ? `Cannot connect to Redis: ${message}` : message);
      },
    });
  }

  async send(batch: readonly OutboundMessage[], deadlineMs: number): Promise<DestinationOutcome[]> {
    const { out, conn: r } = await startBatch(this.link, batch.length, deadlineMs);
    if (r === null) return out.done;
    const pipeline = r.pipeline();
    const trim = this.settings.maxlen === undefined ? [] : ['MAXLEN', '~', String(this.settings.maxlen)];
    for (const m of batch) {
      const key = renderName(this.settings.stream, m.eventType);
      pipeline.xadd(key, ...trim, '*', 'id', m.deliveryId, 'event_type', m.eventType, 'headers', JSON.stringify(m.headers), 'body', m.body);
    }
    pipeline.exec().then(
      (results) => {
        if (results === null) {
          out.failRest('broker_unreachable', 'The connection closed before Redis answered');
          return;
        }
        results.forEach(([err, id], i) => {
          if (err !== null) out.fail(i, ...classify(err));
          else out.ok(i, typeof id === 'string' ? id : undefined);
        });
      },
      (err: unknown) => out.failRest(...classify(err)),
    );
    const outcomes = await out.done;
    // No answer within the deadline: the connection may be dead without Redis having said so
    // (Redis sends no heartbeats), so the next batch starts on a new one.
    if (outcomes.some((o) => !o.ok && o.errorCode === 'timeout')) this.link.lost(r);
    return outcomes;
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

function redisOptions(settings: RedisStreamSettings, secrets: DestinationSecrets): RedisOptions {
  const url = new URL(settings.url);
  const db = url.pathname.replace(/^\//, '');
  const o: RedisOptions = {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 6379 : Number(url.port),
    db: db === '' ? 0 : Number(db),
    lazyConnect: true,
    // Herald reconnects itself (lazy-connection.ts); a command while disconnected fails at once
    // instead of waiting in an offline queue, and one lost with its connection is not re-sent.
    retryStrategy: () => null,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    keepAlive: 10_000,
    connectionName: 'herald-destination',
  };
  if (url.protocol === 'rediss:') o.tls = { servername: o.host };
  if (url.username !== '') o.username = safeDecode(url.username);
  if (secrets.password !== undefined) o.password = secrets.password;
  return o;
}

function classify(err: unknown): [DestinationErrorCode, string] {
  const text = errorText(err);
  if (/^(WRONGPASS|NOAUTH|NOPERM)\b/.test(text)) return ['broker_auth', `Redis refused: ${text}`];
  if (/^WRONGTYPE\b/.test(text)) return ['config', `The stream key holds another type: ${text}`];
  if (/Connection is closed|isn't writeable|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH/i.test(text)) return ['broker_unreachable', text];
  return ['broker_error', `Redis answered: ${text}`];
}
