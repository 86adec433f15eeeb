// 10. destinations — the drain of scenario 2 once per destination kind, back to back in one run:
// N events pre-ingested (role api) for one webhook whose destination is http (the loopback
// receiver), redis-stream, nats or amqp (lib/destination-sinks.mjs), then a fresh worker
// drains them: deliveries/s from worker spawn until all N are recorded (a broker delivery is
// recorded as succeeded only once the broker confirmed it). Each broker is read against the
// http drain of the same run; the kinds run in forward order, then reversed in the next run, so
// neither side always goes first. Also Herald's CPU per delivery, and the receiver's or the
// broker server's, which depend less on the rest of the machine than the wall-clock rates.
// BENCH_DESTINATIONS="http,amqp" measures a subset (the ratios need http).
import { createStore } from '../lib/store.mjs';
import { preIngest, drain } from '../lib/phases.mjs';
import { DESTINATION_KINDS, openDestination } from '../lib/destination-sinks.mjs';
import { sizes } from '../lib/sizes.mjs';

export const name = 'destinations';
export const title = 'a backlog drained to each broker destination, next to HTTP to a loopback receiver';

/** Metric key prefix of a kind (redis-stream → redis_stream). */
const key = (kind) => kind.replace(/\W/g, '_');
const SINK_NAMES = { http: 'receiver', 'redis-stream': 'redis-server', nats: 'nats-server', amqp: 'RabbitMQ' };
const SINK_PROCS = { http: 'receiver', 'redis-stream': 'redis-server', nats: 'nats-server', amqp: 'beam.smp' };

function chosenKinds() {
  const env = process.env.BENCH_DESTINATIONS;
  if (!env) return DESTINATION_KINDS;
  const kinds = env.split(',').map((s) => s.trim()).filter(Boolean);
  for (const k of kinds) if (!DESTINATION_KINDS.includes(k)) throw new Error(`BENCH_DESTINATIONS: unknown kind ${k}; known: ${DESTINATION_KINDS.join(', ')}`);
  return kinds;
}

function rows(kinds) {
  const brokers = kinds.filter((k) => k !== 'http');
  const out = [];
  if (kinds.includes('http') && brokers.length) out.push({ key: 'min_ratio', label: 'slowest broker / http (same run)', unit: 'x' });
  for (const k of kinds) out.push({ key: `${key(k)}_rate`, label: `${k} deliveries/s`, unit: '/s' });
  if (kinds.includes('http')) for (const k of brokers) out.push({ key: `${key(k)}_vs_http`, label: `${k} / http`, unit: 'x' });
  for (const k of kinds) out.push({ key: `${key(k)}_herald_us`, label: `${k} Herald CPU/delivery`, unit: 'µs' });
  for (const k of kinds) out.push({ key: `${key(k)}_sink_us`, label: `${k} ${SINK_NAMES[k]} CPU/delivery`, unit: 'µs' });
  return out;
}

export function cases(ctx) {
  const kinds = chosenKinds();
  let round = 0;
  return ['sqlite', 'postgres'].map((store) => {
    const rs = rows(kinds);
    return {
      id: `destinations-${store}`,
      scenario: name,
      store,
      label: `destinations ${store}`,
      primary: rs[0].key,
      rows: rs,
      runOnce: () => runDestinations(ctx, store, round++ % 2 === 0 ? kinds : [...kinds].reverse()),
    };
  });
}

async function drainTo(ctx, storeKind, kind, N) {
  const store = await createStore(storeKind);
  const d = await openDestination(ctx, kind);
  try {
    await preIngest({ ctx, store, targets: [d.target], events: N, label: `${storeKind} ingest for ${kind}` });
    const r = await drain({ ctx, store, sink: d.sink, expected: N, label: `${storeKind} drain to ${kind}` });
    if (r.failed) ctx.warn(`${ctx.runTag}: ${r.failed} deliveries to ${kind} recorded as failed`);
    return r;
  } finally {
    await d.close();
    await store.destroy();
  }
}

async function runDestinations(ctx, storeKind, order) {
  const N = sizes(ctx).destinationsN;
  const metrics = { n: N };
  const phases = {};
  for (const kind of order) {
    const r = await drainTo(ctx, storeKind, kind, N);
    const k = key(kind);
    phases[`drain-${kind}`] = r.resources;
    metrics[`${k}_rate`] = r.rate;
    metrics[`${k}_rate_from_ready`] = r.rate_from_ready;
    metrics[`${k}_seconds`] = r.seconds;
    metrics[`${k}_startup_s`] = r.startup_s;
    metrics[`${k}_herald_us`] = ((r.resources.herald?.cpu_s ?? NaN) / N) * 1e6;
    metrics[`${k}_sink_us`] = ((r.resources[SINK_PROCS[kind]]?.cpu_s ?? NaN) / N) * 1e6;
    metrics[`${k}_failed`] = r.failed;
  }
  const http = metrics.http_rate;
  const ratios = [];
  for (const kind of order.filter((k) => k !== 'http')) {
    if (!http) break;
    metrics[`${key(kind)}_vs_http`] = metrics[`${key(kind)}_rate`] / http;
    ratios.push(metrics[`${key(kind)}_vs_http`]);
  }
  if (ratios.length) metrics.min_ratio = Math.min(...ratios);
  // The run counts as disturbed when any of its drains was (run.mjs reads the primary phase).
  const share = (p) => (p._machine?.capacity_s ? p._machine.unaccounted_s / p._machine.capacity_s : 0);
  const primaryPhase = Object.keys(phases).reduce((a, b) => (share(phases[b]) > share(phases[a]) ? b : a));
  return { metrics, phases, primaryPhase, info: { order } };
}
