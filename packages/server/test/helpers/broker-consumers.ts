/**
 * Real consumers on the brokers of this machine (RabbitMQ 5672 guest/guest, NATS JetStream
 * 4222, Redis 6379), one per destination kind, each on names of its own (a random tag) that it
 * removes afterwards. A test publishes through a destination, then reads back what a
 * consumer of that broker would receive.
 */
import { randomBytes } from 'node:crypto';
import amqplib, { type Channel, type ChannelModel } from 'amqplib';
import { Redis } from 'ioredis';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import type { BrokerKind } from '../../src/destinations/index.js';

export const BROKER_PORTS: Record<BrokerKind, number> = { amqp: 5672, nats: 4222, 'redis-stream': 6379 };
const READ_LIMIT_MS = 10_000;

export interface Received {
  deliveryId: string;
  eventType: string;
  /** Where it landed: routing key, subject or stream key. */
  name: string;
  headers: Record<string, string>;
  body: string;
}

export interface BrokerConsumer {
  readonly kind: BrokerKind;
  /** A destination input that publishes where this consumer reads, through 127.0.0.1:port. */
  input(port: number): Record<string, unknown>;
  /** The next `n` messages (waits for them, up to 10 s). */
  read(n: number): Promise<Received[]>;
  /** How many messages the broker stored so far. */
  stored(): Promise<number>;
  close(): Promise<void>;
}

export const EVENT_TYPES = ['conversation.created', 'conversation.closed'] as const;

const tag = (): string => randomBytes(4).toString('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function amqpConsumer(): Promise<BrokerConsumer> {
  const exchange = `herald-test-${tag()}`;
  const model: ChannelModel = await amqplib.connect('amqp://guest:guest@127.0.0.1:5672');
  const ch: Channel = await model.createChannel();
  await ch.assertExchange(exchange, 'topic', { durable: false, autoDelete: false });
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(queue, exchange, 'herald.#');
  let count = 0;
  return {
    kind: 'amqp',
    input: (port) => ({ kind: 'amqp', url: `amqp://guest:guest@127.0.0.1:${port}/%2F`, exchange, routing_key: 'herald.{event_type}' }),
    async read(n) {
      const out: Received[] = [];
      const until = Date.now() + READ_LIMIT_MS;
      while (out.length < n && Date.now() < until) {
        const msg = await ch.get(queue, { noAck: true });
        if (msg === false) {
          await sleep(20);
          continue;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(msg.properties.headers ?? {})) headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
        out.push({ deliveryId: String(msg.properties.messageId), eventType: String(msg.properties.type), name: msg.fields.routingKey, headers, body: msg.content.toString('utf8') });
      }
      count += out.length;
      return out;
    },
    async stored() {
      const q = await ch.checkQueue(queue);
      return count + q.messageCount;
    },
    async close() {
      await ch.deleteExchange(exchange);
      await model.close();
    },
  };
}

export async function natsConsumer(): Promise<BrokerConsumer> {
  const t = tag();
  const stream = `HERALD_TEST_${t}`;
  const prefix = `htest${t}`;
  const nc: NatsConnection = await connect({ servers: '127.0.0.1:4222' });
  const jsm: JetStreamManager = await nc.jetstreamManager();
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], duplicate_window: 120_000_000_000 });
  let seq = 1;
  const decoder = new TextDecoder();
  return {
    kind: 'nats',
    input: (port) => ({ kind: 'nats', servers: `nats://127.0.0.1:${port}`, subject: `${prefix}.{event_type}` }),
    async read(n) {
      const out: Received[] = [];
      const until = Date.now() + READ_LIMIT_MS;
      while (out.length < n && Date.now() < until) {
        const sm = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
        if (sm === null) {
          await sleep(20);
          continue;
        }
        seq += 1;
        const headers: Record<string, string> = {};
        for (const k of sm.header.keys()) headers[k] = sm.header.get(k);
        out.push({ deliveryId: headers['Nats-Msg-Id'] ?? '', eventType: headers['herald-event-type'] ?? '', name: sm.subject, headers, body: decoder.decode(sm.data) });
      }
      return out;
    },
    async stored() {
      return (await jsm.streams.info(stream)).state.messages;
    },
    async close() {
      await jsm.streams.delete(stream);
      await nc.close();
    },
  };
}

export async function redisConsumer(): Promise<BrokerConsumer> {
  const prefix = `herald-test:${tag()}:`;
  const r = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  const lastIds = new Map<string, string>(EVENT_TYPES.map((e) => [prefix + e, '-']));
  return {
    kind: 'redis-stream',
    input: (port) => ({ kind: 'redis-stream', url: `redis://127.0.0.1:${port}/0`, stream: `${prefix}{event_type}` }),
    async read(n) {
      const out: Received[] = [];
      const until = Date.now() + READ_LIMIT_MS;
      while (out.length < n && Date.now() < until) {
        let got = 0;
        for (const [key, last] of lastIds) {
          const entries = await r.xrange(key, last === '-' ? '-' : `(${last}`, '+');
          for (const [id, fields] of entries) {
            const f = new Map<string, string>();
            for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] as string, fields[i + 1] as string);
            out.push({ deliveryId: f.get('id') ?? '', eventType: f.get('event_type') ?? '', name: key, headers: JSON.parse(f.get('headers') ?? '{}') as Record<string, string>, body: f.get('body') ?? '' });
            lastIds.set(key, id);
            got += 1;
          }
        }
        if (got === 0) await sleep(20);
      }
      return out;
    },
    async stored() {
      let total = 0;
      for (const key of lastIds.keys()) total += await r.xlen(key);
      return total;
    },
    async close() {
      await r.del(...lastIds.keys());
      await r.quit();
    },
  };
}

export const CONSUMERS: Record<BrokerKind, () => Promise<BrokerConsumer>> = {
  amqp: amqpConsumer,
  nats: natsConsumer,
  'redis-stream': redisConsumer,
};
