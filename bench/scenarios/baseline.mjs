// 8. baseline — the system a Node team writes instead of adopting Herald: a node:http ingest
// endpoint that adds one BullMQ job per event, and a BullMQ Worker (concurrency 64) that signs
// and POSTs each job with undici. Redis is the one on 127.0.0.1:6379, switched to
// appendonly yes / appendfsync everysec for the run when CONFIG is permitted.
// Two cases, measured exactly like Herald's: drain (addBulk N jobs, then time a fresh worker)
// and end-to-end (32 concurrent single-event ingest calls, latency ingest->arrival).
import { isShuttingDown, onCleanup, stopChild } from '../lib/children.mjs';
import { request, waitReady, onNote } from '../lib/ipc.mjs';
import { startReceiver } from '../lib/receiver.mjs';
import { Meter } from '../lib/proc-stats.mjs';
import { progressPrinter } from '../lib/progress.mjs';
import { waitForCount } from '../lib/wait.mjs';
import { wallNow } from '../lib/stats.mjs';
import { benchQueueName, configureDurability, obliterateQueue, redisPid } from '../lib/baseline/redis.mjs';
import { sizes } from '../lib/sizes.mjs';
import { measureIngestToArrival } from '../lib/measure.mjs';
import { closeBaselinePart, forkBaselinePart, withBaselineSystem } from '../lib/baseline/system.mjs';

export const name = 'baseline';
export const title = 'DIY baseline: node:http + BullMQ (Redis AOF everysec) + undici';

let durability = null;
let unregisterQueueCleanup = null;

export async function setup(ctx) {
  // if the suite is interrupted mid-run, the run's `finally` does not execute: remove the
  // bench queue from the cleanup hooks instead
  unregisterQueueCleanup = onCleanup(() => obliterateQueue(benchQueueName(), { fromCleanup: true }));
  durability = await configureDurability();
  ctx.note(`baseline: ${durability.note}`);
  if (!durability.durable) ctx.warn(`baseline: ${durability.note}`);
}

export async function teardown() {
  if (isShuttingDown()) return; // the cleanup hooks restore Redis and remove the queue
  if (durability) await durability.restore();
  durability = null;
  await obliterateQueue(benchQueueName());
  if (unregisterQueueCleanup) unregisterQueueCleanup();
  unregisterQueueCleanup = null;
}

export function cases(ctx) {
  return [
    {
      id: 'baseline-drain',
      scenario: name,
      store: 'redis',
      label: 'baseline drain',
      primary: 'rate',
      rows: [
        { key: 'rate', label: 'deliveries/s (worker start → all done)', unit: '/s' },
        { key: 'fill_rate', label: 'addBulk jobs/s', unit: '/s' },
      ],
      runOnce: () => drain(ctx),
    },
    {
      id: 'baseline-e2e',
      scenario: name,
      store: 'redis',
      label: 'baseline end-to-end',
      primary: 'delivered_per_s',
      rows: [
        { key: 'delivered_per_s', label: 'delivered/s (during load)', unit: '/s' },
        { key: 'accepted_per_s', label: 'ingest accepted/s', unit: '/s' },
        { key: 'p50_ms', label: 'p50 ingest→arrival', unit: 'ms' },
        { key: 'p99_ms', label: 'p99 ingest→arrival', unit: 'ms' },
      ],
      runOnce: () => e2e(ctx),
    },
  ];
}

async function drain(ctx) {
  const N = sizes(ctx).drainN;
  const queue = benchQueueName();
  await obliterateQueue(queue);
  const receiver = await startReceiver({ name: `${ctx.runTag}-receiver` });
  let fill = null;
  let worker = null;
  try {
    fill = forkBaselinePart('fill', ctx.runTag, queue);
    await waitReady(fill);
    onNote(fill, progressPrinter('baseline addBulk'));
    const fillMeter = new Meter();
    fillMeter.add('fill', fill.pid, { fresh: true });
    const rpid = await redisPid();
    fillMeter.add('redis', rpid);
    const filled = await request(fill, 'fill', { total: N, chunk: 1000, concurrency: 4 }, 30 * 60 * 1000);
    const fillRes = fillMeter.stop();
    await closeBaselinePart(fill);
    fill = null;

    const meter = new Meter();
    meter.add('receiver', receiver.child.pid, { reset: true });
    meter.add('redis', rpid);
    const t0 = wallNow();
    worker = forkBaselinePart('worker', ctx.runTag, queue, { BENCH_TARGET_URL: receiver.url('/hook/0') });
    meter.add('worker', worker.pid, { cpuFromStart: true });
    await waitReady(worker);
    const w = worker;
    const done = await waitForCount(async () => (await request(w, 'stats', {}, 5000)).completed, N, {
      timeoutMs: Math.max(120_000, (N / 500) * 1000),
      onProgress: progressPrinter('baseline drain'),
      abortIf: async () => {
        const s = await request(w, 'stats', {}, 5000);
        return s.failed > 1000 ? `baseline worker: ${s.failed} failed jobs; first: ${s.firstError}` : null;
      },
    });
    const resources = meter.stop();
    if (!done.reached) throw new Error(`baseline drain did not finish: ${done.reason}`);
    const rstats = await receiver.call('stats', { timesOf: [N] });
    const ws = await request(worker, 'stats', {}, 5000);
    return {
      metrics: {
        rate: N / ((done.tDone - t0) / 1000),
        rate_arrivals: rstats.timesOf[0] ? N / ((rstats.timesOf[0] - t0) / 1000) : null,
        fill_rate: filled.jobsPerSec,
        n: N,
        seconds: (done.tDone - t0) / 1000,
        arrivals: rstats.count,
        failed: ws.failed,
      },
      phases: { drain: resources, fill: fillRes },
      primaryPhase: 'drain',
      info: { durable: durability?.durable ?? false, redis: durability?.note ?? 'not configured' },
    };
  } finally {
    await closeBaselinePart(fill);
    await closeBaselinePart(worker);
    await stopChild(receiver.child, { graceMs: 2000 });
    await obliterateQueue(queue).catch((e) => ctx.warn(`obliterate failed: ${e.message}`));
  }
}

async function e2e(ctx) {
  const sz = sizes(ctx);
  return withBaselineSystem(ctx, 'e2e load', async (sys) => {
    const meter = new Meter();
    sys.meter(meter);
    meter.add('receiver', sys.receiver.child.pid, { reset: true });
    meter.add('load', sys.load.pid, { fresh: true });
    const m = await measureIngestToArrival({
      receiver: sys.receiver,
      load: sys.load,
      mode: 'single',
      loadOpts: { ...sys.ingest, concurrency: 32, durationMs: sz.e2eMs },
      warmupMs: sz.e2eWarmupMs,
      waitAllDelivered: (target) => waitForCount(sys.delivered, target, { timeoutMs: 120_000, onProgress: progressPrinter('baseline e2e catch-up') }),
    });
    const resources = meter.stop();
    if (m.res.firstError) ctx.warn(`baseline e2e ingest: ${m.res.firstError}`);
    if (!m.done.reached) ctx.warn(`baseline e2e: not all accepted events were delivered: ${m.done.reason}`);
    return {
      metrics: m.metrics,
      phases: { e2e: resources },
      primaryPhase: 'e2e',
      info: { durable: durability?.durable ?? false, statuses: m.res.statuses, latency_max_per_second_ms: m.latencyMaxPerSecond },
    };
  });
}
