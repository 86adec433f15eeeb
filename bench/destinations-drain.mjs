#!/usr/bin/env node
// A backlog drained to a broker destination, next to the same backlog drained over HTTP to a
// loopback receiver, on the same machine: for each kind, N events are pre-ingested (batch API)
// for one webhook while Herald runs with role api, then a Herald with role worker starts on that
// store and drains it; deliveries/s = N / (worker start → every delivery recorded succeeded).
// Also the worker's CPU per delivery (this process: the worker role runs the engine on the main
// thread), which depends less on what else runs on the machine than the wall-clock rate.
// Each attempt publishes one message, as the engine does (the pool gathers concurrent ones into one send); the receiver is bench/lib/receiver.mjs
// in a process of its own (answers 200 at once), the brokers are the system's.
// Usage: node bench/destinations-drain.mjs [--n 10000] [--kinds http,redis-stream,nats,amqp] [--store sqlite|postgres] [--runs 1]
// (needs npm run build, and Redis 6379, NATS JetStream 4222, RabbitMQ 5672 guest/guest on 127.0.0.1)
import { parseArgs } from 'node:util';
import os from 'node:os';
import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import { connect } from 'nats';
import { makeConfig, startHerald } from '../packages/server/dist/index.js';
import { startReceiver } from './lib/receiver.mjs';
import { stopChild } from './lib/children.mjs';
import { createStore } from './lib/store.mjs';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '10000' },
    kinds: { type: 'string', default: 'http,redis-stream,nats,amqp' },
    store: { type: 'string', default: 'sqlite' },
    runs: { type: 'string', default: '1' },
  },
});
const N = Number(values.n);
const RUNS = Number(values.runs);
const ADMIN_KEY = 'bench-admin-key-0123456789';
const EVENT = 'bench.event';
const tag = `${process.pid}`;
const entity = { id: 'e', pad: 'x'.repeat(900) };

/** Where each kind's messages go: answers the webhook's create body and a cleanup. */
const targets = {
  async http() {
    const receiver = await startReceiver({ name: 'drain-receiver' });
    return { body: { url: receiver.url('/hook') }, cleanup: () => stopChild(receiver.child) };
  },
  async 'redis-stream'() {
    const key = `herald-bench-drain:${tag}`;
    return {
      body: { destination: { kind: 'redis-stream', url: 'redis://127.0.0.1:6379/0', stream: key } },
      async cleanup() {
        const r = new Redis({ host: '127.0.0.1', port: 6379 });
        await r.del(key);
        await r.quit();
      },
    };
  },
  async nats() {
    const nc = await connect({ servers: '127.0.0.1:4222' });
    const jsm = await nc.jetstreamManager();
    const stream = `HERALD_BENCH_DRAIN_${tag}`;
    await jsm.streams.add({ name: stream, subjects: [`hbdrain${tag}.>`] });
    return {
      body: { destination: { kind: 'nats', servers: 'nats://127.0.0.1:4222', subject: `hbdrain${tag}.{event_type}` } },
      async cleanup() {
        await jsm.streams.delete(stream);
        await nc.close();
      },
    };
  },
  async amqp() {
    const model = await amqplib.connect('amqp://guest:guest@127.0.0.1:5672');
    const ch = await model.createChannel();
    const queue = `herald-bench-drain-${tag}`;
    await ch.assertQueue(queue, { durable: true });
    return {
      body: { destination: { kind: 'amqp', url: 'amqp://guest:guest@127.0.0.1:5672/%2F', exchange: '', routing_key: queue } },
      async cleanup() {
        await ch.deleteQueue(queue);
        await model.close();
      },
    };
  },
};

async function herald(store, role) {
  return startHerald(makeConfig({
    port: 0, host: '127.0.0.1', role, adminKey: ADMIN_KEY, allowPrivateUrls: true, validateUrls: false, logLevel: 'silent',
    dataDir: store.dir ?? '/tmp', databaseUrl: store.env.HERALD_DATABASE_URL,
  }));
}

async function api(h, method, path, body) {
  const res = await fetch(`${h.url}/api/v1${path}`, {
    method, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function runOnce(kind) {
  const store = await createStore(values.store);
  const target = await targets[kind]();
  try {
    const ingestor = await herald(store, 'api');
    await api(ingestor, 'POST', '/orgs', { id: 'bench', name: 'Bench', owner_email: 'o@bench.test' });
    await api(ingestor, 'POST', '/orgs/bench/webhooks', { events: [EVENT], ...target.body });
    for (let sent = 0; sent < N; sent += 1000) {
      const events = Array.from({ length: Math.min(1000, N - sent) }, () => ({ event: EVENT, entity }));
      await api(ingestor, 'POST', '/orgs/bench/events/batch', { events });
    }
    await ingestor.close();

    const load = os.loadavg()[0];
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const worker = await herald(store, 'worker');
    let done = 0;
    let failed = 0;
    for (const until = Date.now() + 600_000; Date.now() < until;) {
      const row = await worker.store.db.get(
        "SELECT sum(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END) AS ok, sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS bad FROM deliveries",
      );
      done = Number(row?.ok ?? 0);
      failed = Number(row?.bad ?? 0);
      if (done + failed >= N) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    await worker.close();
    const cpuPerDelivery = Math.round((cpu.user + cpu.system) / Math.max(1, done));
    return { kind, rate: Math.round(done / seconds), seconds: Number(seconds.toFixed(2)), done, failed, load_before: Number(load.toFixed(2)), cpuPerDelivery };
  } finally {
    await target.cleanup().catch(() => undefined);
    await store.destroy();
  }
}

console.log(`drain of ${N} events per kind, store ${values.store}, ${os.cpus().length} CPUs, load average now ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const kind of values.kinds.split(',')) {
  if (!targets[kind]) throw new Error(`unknown kind ${kind}`);
  for (let run = 1; run <= RUNS; run++) {
    const r = await runOnce(kind);
    console.log(`${kind.padEnd(13)} run ${run}: ${String(r.rate).padStart(6)} deliveries/s (${r.done} succeeded, ${r.failed} failed in ${r.seconds} s; worker CPU ${r.cpuPerDelivery} µs per delivery; 1-min load before the drain ${r.load_before})`);
  }
}
process.exit(0);
