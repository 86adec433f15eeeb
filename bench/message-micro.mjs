#!/usr/bin/env node
// What a hand-off between two threads costs: small request/answer messages between this
// thread and a worker thread, one at a time (the other thread sleeps between them, as the
// store thread does between single-event commits) and in bursts of 8. Prints wall time and the
// process's CPU (user and kernel) per round trip.
// Usage: node bench/message-micro.mjs [--n 20000]
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const { values } = parseArgs({ options: { n: { type: 'string', default: '20000' } } });
const N = Number(values.n);
if (!(N >= 8)) throw new Error('--n wants a whole number ≥ 8, e.g. --n 20000');
const echo = new Worker(
  `const { parentPort } = require('node:worker_threads');
   parentPort.on('message', (m) => parentPort.postMessage({ id: m.id, result: m.args }));`,
  { eval: true },
);
await new Promise((r) => echo.once('online', r));
const call = (id) => echo.postMessage({ id, method: 'claim', args: [8, Date.now(), 30_000, 'token'] });

for (const burst of [1, 8]) {
  let answered = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((resolve) => {
    const onAnswer = () => {
      answered++;
      if (answered >= N) {
        echo.off('message', onAnswer);
        resolve();
      } else if (answered % burst === 0) {
        for (let i = 0; i < burst; i++) call(answered + i);
      }
    };
    echo.on('message', onAnswer);
    for (let i = 0; i < burst; i++) call(i);
  });
  const cpu = process.cpuUsage(cpu0);
  const wall = ((performance.now() - t0) * 1000) / N;
  console.log(`${burst === 1 ? 'one at a time' : `bursts of ${burst}`}: ${wall.toFixed(1)} µs wall, ${((cpu.user + cpu.system) / N).toFixed(1)} µs CPU (${(cpu.system / N).toFixed(1)} in the kernel) per round trip`);
}
await echo.terminate();
