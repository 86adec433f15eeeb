// Baseline pre-fill (child process): Queue.addBulk of N jobs, 1000 per call, a few calls in
// flight, so the worker can then be timed draining the backlog.
import { Queue } from 'bullmq';
import { isMain, note, ready, serveIpc } from '../ipc.mjs';
import { eventBody } from '../load.mjs';
import { JOB_NAME, JOB_OPTIONS } from './common.mjs';
import { QUEUE_PREFIX, REDIS_CONNECTION } from './redis.mjs';

function main() {
  const queueName = process.env.BENCH_QUEUE;
  const queue = new Queue(queueName, { connection: REDIS_CONNECTION, prefix: QUEUE_PREFIX });
  serveIpc({
    async fill({ total, chunk = 1000, concurrency = 4 }) {
      const t0 = performance.now();
      let next = 0;
      let added = 0;
      const tick = setInterval(() => note({ phase: 'addBulk', done: added, total, elapsedMs: performance.now() - t0 }), 1000);
      const n = Math.ceil(total / chunk);
      async function loop() {
        while (true) {
          const b = next++;
          if (b >= n) return;
          const now = performance.timeOrigin + performance.now();
          const jobs = [];
          for (let i = b * chunk; i < Math.min(total, (b + 1) * chunk); i++) jobs.push({ name: JOB_NAME, data: eventBody(i, now), opts: JOB_OPTIONS });
          await queue.addBulk(jobs);
          added += jobs.length;
        }
      }
      try {
        await Promise.all(Array.from({ length: concurrency }, loop));
      } finally {
        clearInterval(tick);
      }
      const elapsedMs = performance.now() - t0;
      return { added, elapsedMs, jobsPerSec: added / (elapsedMs / 1000) };
    },
    async close() {
      await queue.close();
      setTimeout(() => process.exit(0), 20);
      return true;
    },
  });
  queue.waitUntilReady().then(() => ready());
}

if (isMain(import.meta.url)) main();
