// Baseline delivery worker (child process): a BullMQ Worker with concurrency 64 whose processor
// signs the envelope and POSTs it to the receiver with undici `request`; a non-2xx answer
// throws so BullMQ retries it. It keeps counts the orchestrator reads over IPC.
import { Worker } from 'bullmq';
import { request } from 'undici';
import { isMain, ready, serveIpc } from '../ipc.mjs';
import { signedRequest } from './common.mjs';
import { QUEUE_PREFIX, REDIS_CONNECTION } from './redis.mjs';

function main() {
  const queueName = process.env.BENCH_QUEUE;
  const target = process.env.BENCH_TARGET_URL;
  const concurrency = Number(process.env.BENCH_CONCURRENCY || 64);
  if (!queueName || !target) throw new Error('BENCH_QUEUE and BENCH_TARGET_URL are required');
  let completed = 0;
  let failed = 0;
  let firstError = null;
  const worker = new Worker(
    queueName,
    async (job) => {
      const { body, headers } = signedRequest(job.id, job.data, job.attemptsMade + 1);
      const res = await request(target, { method: 'POST', body, headers, headersTimeout: 15000, bodyTimeout: 15000 });
      await res.body.dump();
      if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`status ${res.statusCode}`);
      return null;
    },
    { connection: REDIS_CONNECTION, prefix: QUEUE_PREFIX, concurrency },
  );
  worker.on('completed', () => completed++);
  worker.on('failed', (_job, err) => {
    failed++;
    if (!firstError) firstError = String(err?.message ?? err);
  });
  worker.on('error', (err) => {
    if (!firstError) firstError = String(err?.message ?? err);
  });
  serveIpc({
    stats: () => ({ completed, failed, firstError }),
    async close() {
      await worker.close();
      setTimeout(() => process.exit(0), 20);
      return true;
    },
  });
  ready();
}

if (isMain(import.meta.url)) main();
