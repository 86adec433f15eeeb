#!/usr/bin/env node
// The broker share of a delivery, without the store: each destination kind publishes N signed-size
// messages in batches, waiting for every broker confirm (AMQP publisher confirms to a durable queue
// with persistent messages, JetStream publish acks to a file-storage stream, XADD replies), and
// prints messages/s and the publisher's CPU per message. Compare with sender-micro.mjs (HTTP).
// Each kind gets names of its own (queue, stream, key), removed afterwards.
// Usage: node bench/destinations-micro.mjs [--n 20000] [--batch 256] [--inflight 1,4] [--only amqp,nats,redis-stream]
// (needs npm run build, and RabbitMQ 5672 guest/guest, NATS JetStream 4222, Redis 6379 on 127.0.0.1)
import { parseArgs } from 'node:util';
import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import { connect } from 'nats';
import { createDestination, parseDestination } from '../packages/server/dist/destinations/index.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '256' },
    inflight: { type: 'string', default: '1,4' },
    only: { type: 'string', default: 'amqp,nats,redis-stream' },
  },
});
const N = Number(values.n);
const BATCH = Number(values.batch);
const tag = `${process.pid}`;

const body = JSON.stringify({ type: 'bench.event', timestamp: new Date().toISOString(), data: { pad: 'x'.repeat(900) } });
function messages(count, from) {
  return Array.from({ length: count }, (_, i) => ({
    deliveryId: `msg_bench_${tag}_${from + i}`,
    eventType: 'bench.event',
    headers: { 'content-type': 'application/json', 'user-agent': 'Herald-Webhooks/0.1', 'webhook-id': `msg_bench_${tag}_${from + i}`, 'webhook-timestamp': '1700000000', 'webhook-signature': `v1,${'a'.repeat(44)}` },
    body,
  }));
}

/** Broker-side names for one kind: answers the destination input and a cleanup. */
const targets = {
  async amqp() {
    const model = await amqplib.connect('amqp://guest:guest@127.0.0.1:5672');
    const ch = await model.createChannel();
    const queue = `herald-bench-${tag}`;
    await ch.assertQueue(queue, { durable: true });
    return {
      input: { kind: 'amqp', url: 'amqp://guest:guest@127.0.0.1:5672/%2F', exchange: '', routing_key: queue },
      note: 'durable queue, persistent',
      async cleanup() {
        await ch.deleteQueue(queue);
        await model.close();
      },
    };
  },
  async nats() {
    const nc = await connect({ servers: '127.0.0.1:4222' });
    const jsm = await nc.jetstreamManager();
    const stream = `HERALD_BENCH_${tag}`;
    await jsm.streams.add({ name: stream, subjects: [`hbench${tag}.>`] });
    return {
      input: { kind: 'nats', servers: 'nats://127.0.0.1:4222', subject: `hbench${tag}.{event_type}` },
      note: 'file stream, Nats-Msg-Id',
      async cleanup() {
        await jsm.streams.delete(stream);
        await nc.close();
      },
    };
  },
  async 'redis-stream'() {
    const r = new Redis({ host: '127.0.0.1', port: 6379 });
    const key = `herald-bench:${tag}`;
    return {
      input: { kind: 'redis-stream', url: 'redis://127.0.0.1:6379/0', stream: key },
      note: 'XADD pipeline',
      async cleanup() {
        await r.del(key);
        await r.quit();
      },
    };
  },
};

/** Sends `count` messages as batches, `inflight` batches at a time; throws on any failed outcome. */
async function publish(d, count, inflight, from) {
  let next = 0;
  async function lane() {
    while (next < count) {
      const start = next;
      next += BATCH;
      const outcomes = await d.send(messages(Math.min(BATCH, count - start), from + start), 30_000);
      const bad = outcomes.find((o) => !o.ok);
      if (bad) throw new Error(`${bad.errorCode}: ${bad.errorMessage}`);
    }
  }
  await Promise.all(Array.from({ length: inflight }, lane));
}

let sent = 0;
for (const kind of values.only.split(',')) {
  const target = await targets[kind]();
  const { settings, secrets } = parseDestination(target.input);
  const d = createDestination(settings, secrets);
  try {
    await publish(d, 2000, 1, sent); // warm-up: connection, JIT
    sent += 2000;
    for (const inflight of values.inflight.split(',').map(Number)) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await publish(d, N, inflight, sent);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(c0);
      sent += N;
      console.log(
        `${kind.padEnd(13)} ${target.note.padEnd(27)} batch ${BATCH} × ${inflight} in flight  ${Math.round((N / ms) * 1000).toLocaleString('en-US').padStart(7)} msg/s  ${((cpu.user + cpu.system) / N).toFixed(1).padStart(6)} µs CPU/message`,
      );
    }
  } finally {
    await d.close();
    await target.cleanup();
  }
}
