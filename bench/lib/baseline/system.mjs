// The BullMQ baseline as a system under test for the ingest→arrival scenarios (baseline e2e,
// openloop), with the same shape as lib/herald-system.mjs: a latency-reading receiver, the
// baseline's worker and ingest server (child processes), and a load process, on the bench's
// own queue, which is removed before and after.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkTracked, stopChild } from '../children.mjs';
import { request, waitReady } from '../ipc.mjs';
import { startReceiver } from '../receiver.mjs';
import { startLoad } from '../load.mjs';
import { progressPrinter } from '../progress.mjs';
import { HOST } from '../constants.mjs';
import { benchQueueName, obliterateQueue, redisPid } from './redis.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Fork one of the baseline's parts (ingest-server, worker, fill) on `queue`. */
export function forkBaselinePart(part, runTag, queue, extraEnv = {}) {
  return forkTracked(path.join(HERE, `${part}.mjs`), [], { name: `${runTag}-${part}`, env: { BENCH_QUEUE: queue, ...extraEnv } });
}

/** Ask a baseline part to close (its BullMQ connections), then stop it (bounded). */
export async function closeBaselinePart(child) {
  if (!child) return;
  await request(child, 'close', {}, 10000).catch(() => null);
  await stopChild(child, { graceMs: 5000 });
}

/**
 * fn receives { receiver, load, ingest, meter(m), delivered(), exited() } like withHeraldSystem;
 * meter(m) adds the ingest server, the worker and Redis.
 */
export async function withBaselineSystem(ctx, loadLabel, fn) {
  const queue = benchQueueName();
  await obliterateQueue(queue);
  const receiver = await startReceiver({ name: `${ctx.runTag}-receiver`, latency: true });
  let worker = null;
  let ingest = null;
  let load = null;
  try {
    worker = forkBaselinePart('worker', ctx.runTag, queue, { BENCH_TARGET_URL: receiver.url('/hook/0') });
    await waitReady(worker);
    ingest = forkBaselinePart('ingest-server', ctx.runTag, queue);
    const { port } = await waitReady(ingest);
    load = await startLoad({ name: `${ctx.runTag}-load`, onProgress: progressPrinter(`baseline ${loadLabel}`) });
    const rpid = await redisPid();
    const [w, i] = [worker, ingest];
    return await fn({
      receiver,
      load,
      ingest: { origin: `http://${HOST}:${port}`, path: '/events', headers: {} },
      meter: (m) => {
        m.add('ingest', i.pid, { reset: true });
        m.add('worker', w.pid, { reset: true });
        m.add('redis', rpid);
      },
      delivered: async () => (await request(w, 'stats', {}, 5000)).completed,
      exited: async () => {
        const dead = [w, i].find((c) => c.bench.exited);
        return dead ? `${dead.bench.name} exited (${dead.bench.code ?? dead.bench.signal})` : null;
      },
    });
  } finally {
    if (load) {
      await load.close();
      await stopChild(load.child, { graceMs: 2000 });
    }
    await closeBaselinePart(ingest);
    await closeBaselinePart(worker);
    await stopChild(receiver.child, { graceMs: 2000 });
    await obliterateQueue(queue).catch((e) => ctx.warn(`obliterate failed: ${e.message}`));
  }
}
