#!/usr/bin/env node
// The outbound HTTP share of a delivery, without the store: Herald's HttpSender POSTs signed-size
// bodies to a plain node:http receiver (its own process) with C requests in flight, and prints
// requests/s and the sender's CPU per request. `--compare` also runs undici's request() and a
// bare dispatch() for reference.
// Usage: node bench/sender-micro.mjs [--n 50000] [--c 64,1024] [--compare]  (needs npm run build)
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { HttpSender } from '../packages/server/dist/outbound/http-sender.js';

if (process.argv[2] === '--receiver') {
  const http = await import('node:http');
  const reply = Buffer.from('ok');
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 }).end(reply));
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
} else {
  const { values } = parseArgs({ options: { n: { type: 'string', default: '50000' }, c: { type: 'string', default: '64,1024' }, compare: { type: 'boolean', default: false } } });
  const N = Number(values.n);
  const child = fork(fileURLToPath(import.meta.url), ['--receiver']);
  try {
    const port = await new Promise((resolve) => child.once('message', resolve));
    const url = `http://127.0.0.1:${port}/hook/0`;
    const body = JSON.stringify({ type: 'bench.event', timestamp: new Date().toISOString(), data: { pad: 'x'.repeat(900) } });
    const headers = {
      'content-type': 'application/json', 'user-agent': 'Herald-Webhooks/0.1', 'webhook-id': 'msg_01jfabcdefghijklmnopqrstu',
      'webhook-timestamp': '1700000000', 'webhook-signature': `v1,${'a'.repeat(44)}`,
    };
    for (const c of values.c.split(',').map(Number)) {
      const sender = new HttpSender({ connectionsPerOrigin: c, responseBodyLimit: 65_536, allowPrivateUrls: true });
      const agent = new Agent({ connections: c, pipelining: 1, keepAliveTimeout: 30_000 });
      const modes = { 'HttpSender.send': () => sender.send(url, headers, body, 15_000, null) };
      if (values.compare) {
        modes['undici request()'] = async () => {
          const r = await request(url, { method: 'POST', headers, body, dispatcher: agent });
          await r.body.text();
        };
      }
      for (const [name, one] of Object.entries(modes)) {
        await run(one, Math.min(c, 200), 2000); // warm-up
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await run(one, c, N);
        const ms = performance.now() - t0;
        const cpu = process.cpuUsage(c0);
        console.log(`${name.padEnd(18)} ${String(c).padStart(5)} in flight  ${Math.round(N / ms * 1000).toLocaleString('en-US').padStart(7)} req/s  ${((cpu.user + cpu.system) / N).toFixed(1).padStart(6)} µs CPU/request`);
      }
      await sender.close();
      await agent.destroy();
    }
  } finally {
    child.kill();
  }
}

async function run(one, concurrency, n) {
  let started = 0;
  const loop = async () => {
    while (started < n) {
      started++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}
