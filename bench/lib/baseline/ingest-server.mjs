// Baseline ingest endpoint (child process): node:http, POST /events adds one BullMQ job per
// event with Queue.add and answers 202 {id}. This is the part of the DIY system a Node team
// writes in front of the queue.
import http from 'node:http';
import { Queue } from 'bullmq';
import { isMain, ready, serveIpc } from '../ipc.mjs';
import { HOST } from '../constants.mjs';
import { JOB_NAME, JOB_OPTIONS } from './common.mjs';
import { QUEUE_PREFIX, REDIS_CONNECTION } from './redis.mjs';

function main() {
  const queueName = process.env.BENCH_QUEUE;
  if (!queueName) throw new Error('BENCH_QUEUE not set');
  const queue = new Queue(queueName, { connection: REDIS_CONNECTION, prefix: QUEUE_PREFIX });
  let accepted = 0;
  let errors = 0;
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/events') {
      res.writeHead(404).end();
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      let data;
      try {
        data = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (typeof data?.event !== 'string') throw new Error('event missing');
      } catch (err) {
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(err.message) }));
        return;
      }
      try {
        const job = await queue.add(JOB_NAME, data, JOB_OPTIONS);
        accepted++;
        const out = JSON.stringify({ id: job.id });
        res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) }).end(out);
      } catch (err) {
        errors++;
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(err.message) }));
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  serveIpc({
    stats: () => ({ accepted, errors }),
    async close() {
      server.close();
      await queue.close();
      setTimeout(() => process.exit(0), 20);
      return true;
    },
  });
  queue.waitUntilReady().then(() => server.listen(0, HOST, () => ready({ port: server.address().port })));
}

if (isMain(import.meta.url)) main();
