// Where the `destinations` scenario delivers: one webhook target per kind, with what the drain
// phase watches there (lib/phases.mjs `sink`): http to the loopback receiver (its own process,
// answers 200 at once), and the system's brokers on 127.0.0.1 — Redis 6379 (a stream key),
// NATS JetStream 4222 (a file-storage stream capturing the subject), RabbitMQ 5672 guest/guest
// (a durable queue through the default exchange, persistent messages, publisher confirms).
// Each target gets names of its own (pid + counter), removed afterwards, also on Ctrl-C.
// Progress is read at the broker (XLEN, stream state, queue depth); the CPU of the broker's
// server process is measured beside Herald's, as the receiver's is for http.
import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import { connect } from 'nats';
import { startReceiver } from './receiver.mjs';
import { onCleanup, stopChild } from './children.mjs';
import { receiverSink } from './phases.mjs';
import { pidsByComm } from './proc-stats.mjs';
import { HOST, REDIS_PORT } from './constants.mjs';

export const DESTINATION_KINDS = ['http', 'redis-stream', 'nats', 'amqp'];

const AMQP_URL = `amqp://guest:guest@${HOST}:5672`;
let made = 0;

/** A broker's sink: progress from `count`, CPU of its server processes (by comm name). */
function brokerSink(comm, count) {
  return { reset: async () => undefined, meter: (meter) => meter.addGroup(comm, () => pidsByComm(comm)), count, stats: null };
}

const OPEN = {
  async http(ctx) {
    const receiver = await startReceiver({ name: `${ctx.runTag}-receiver` });
    return { target: { url: receiver.url('/hook/0') }, sink: receiverSink(receiver), close: () => stopChild(receiver.child, { graceMs: 2000 }) };
  },
  async 'redis-stream'(_ctx, tag) {
    const key = `herald-bench-destinations:${tag}`;
    const redis = new Redis({ host: HOST, port: REDIS_PORT, lazyConnect: true });
    await redis.connect();
    return {
      target: { destination: { kind: 'redis-stream', url: `redis://${HOST}:${REDIS_PORT}/0`, stream: key } },
      sink: brokerSink('redis-server', () => redis.xlen(key)),
      async close() {
        await redis.del(key);
        await redis.quit();
      },
    };
  },
  async nats(_ctx, tag) {
    const nc = await connect({ servers: `${HOST}:4222` });
    const jsm = await nc.jetstreamManager();
    const stream = `HERALD_BENCH_DESTINATIONS_${tag.replace(/\W/g, '_')}`;
    const prefix = `hbdest${tag.replace(/\W/g, '')}`;
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
    return {
      target: { destination: { kind: 'nats', servers: `nats://${HOST}:4222`, subject: `${prefix}.{event_type}` } },
      sink: brokerSink('nats-server', async () => (await jsm.streams.info(stream)).state.messages),
      async close() {
        await jsm.streams.delete(stream);
        await nc.close();
      },
    };
  },
  async amqp(_ctx, tag) {
    const model = await amqplib.connect(AMQP_URL);
    const ch = await model.createChannel();
    const queue = `herald-bench-destinations-${tag}`;
    await ch.assertQueue(queue, { durable: true });
    return {
      target: { destination: { kind: 'amqp', url: `${AMQP_URL}/%2F`, exchange: '', routing_key: queue } },
      sink: brokerSink('beam.smp', async () => (await ch.checkQueue(queue)).messageCount),
      async close() {
        await ch.deleteQueue(queue);
        await model.close();
      },
    };
  },
};

/**
 * Opens a fresh target of `kind`: { target (the webhook create body's destination part), sink,
 * close() }. close() is also run by the suite's cleanup if the run is interrupted.
 */
export async function openDestination(ctx, kind) {
  const open = OPEN[kind];
  if (!open) throw new Error(`unknown destination kind ${kind}; known: ${DESTINATION_KINDS.join(', ')}`);
  const d = await open(ctx, `${process.pid}-${++made}`);
  let closed = false;
  const unregister = onCleanup(() => d.close());
  return {
    ...d,
    async close() {
      if (closed) return;
      closed = true;
      unregister();
      await d.close();
    },
  };
}
