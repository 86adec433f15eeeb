#!/usr/bin/env node
// What a hand-off between two threads costs: small request/answer messages between this
// thread and a worker thread, one at a time (the other thread sleeps between them, as the
// store thread does between single-event commits) and in bursts of 8. Prints wall time and the
// process's CPU (user and kernel) per round trip. Then what copying a claim's rows costs
// (v8.serialize / deserialize, the structured clone of a message): 256 rows shaped like
// ClaimedDelivery with a 1 KB event body, as objects and as one flat array rebuilt into objects.
// Usage: node bench/message-micro.mjs [--n 20000]
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
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

const entity = JSON.stringify({ id: 'x', text: 'a'.repeat(900) });
const FIELDS = ['id', 'org_id', 'webhook_id', 'attempts', 'is_test', 'fifo', 'lease_token', 'event_id', 'webhook_revision',
  'webhook_state', 'event_type', 'app_id', 'entity_type', 'entity_id', 'entity', 'modified_fields', 'event_time'];
const rows = Array.from({ length: 256 }, (_, i) => ({
  id: `dlv_01JXYZABCDEFGHJKMNPQRS${i}`, org_id: 'acme', webhook_id: 'wh_01JXYZABCDEFGHJKMNPQRSTVWX', attempts: 0, is_test: 0, fifo: 0,
  lease_token: 'abc.1', event_id: `evt_01JXYZABCDEFGHJKMNPQRS${i}`, webhook_revision: 1, webhook_state: 'enabled', event_type: 'bench.event',
  app_id: null, entity_type: 'bench', entity_id: String(i), entity, modified_fields: '[]', event_time: Date.now(),
}));
const flat = rows.flatMap((r) => FIELDS.map((f) => r[f]));
const rebuild = (a) => {
  const out = [];
  for (let j = 0; j < a.length; j += FIELDS.length) {
    const r = {};
    for (let k = 0; k < FIELDS.length; k++) r[FIELDS[k]] = a[j + k];
    out.push(r);
  }
  return out;
};
const asObjects = v8.serialize(rows);
const asFlat = v8.serialize(flat);
const perRow = (fn) => {
  for (let i = 0; i < 200; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) fn();
  return (((performance.now() - t0) * 1000) / 1000 / rows.length).toFixed(2);
};
console.log(`256 claimed rows, serialize: ${perRow(() => v8.serialize(rows))} µs per row as objects, ${perRow(() => v8.serialize(flat))} as a flat array`);
console.log(`256 claimed rows, deserialize: ${perRow(() => v8.deserialize(asObjects))} µs per row as objects, ${perRow(() => rebuild(v8.deserialize(asFlat)))} as a flat array rebuilt into objects`);
