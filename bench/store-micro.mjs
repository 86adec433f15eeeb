#!/usr/bin/env node
// The store's share of a delivery, without HTTP: ingest N events for one webhook, then claim
// and complete them in the worker's batch sizes, timing each phase (µs per delivery), and the
// process's CPU per delivery (all threads). --batch N sets the ingest group, claim and result
// batch size (small batches show the per-transaction cost that single-event streams pay).
// The hot path runs on this thread, as it does on the engine thread.
// Usage: node bench/store-micro.mjs [--n 20000] [--store sqlite|postgres] [--batch N]  (needs npm run build)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../packages/server/dist/store/store.js';
import { planFanOut } from '../packages/server/dist/engine/fan-out.js';
import { newId } from '../packages/server/dist/ids.js';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '20000' }, store: { type: 'string', default: 'sqlite' }, batch: { type: 'string' } },
});
const N = Number(values.n);
const BATCH = values.batch === undefined ? null : Number(values.batch);
if (BATCH !== null && !(BATCH >= 1)) throw new Error('--batch wants a whole number ≥ 1, e.g. --batch 8');
const INGEST_GROUP = BATCH ?? 1000;
const CLAIM_BATCH = BATCH ?? 256;
const RESULT_BATCH = BATCH ?? 512;
const dir = mkdtempSync(join(tmpdir(), 'herald-micro-'));
const pgUrl = 'postgres://postgres@127.0.0.1:5432/test';
const schema = `micro_${process.pid}`;
let admin;
if (values.store === 'postgres') {
  const pg = (await import('pg')).default;
  admin = new pg.Client(pgUrl);
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
}
const store = await openStore(values.store === 'postgres'
  ? { dataDir: dir, databaseUrl: `${pgUrl}?options=-c%20search_path%3D${schema}` }
  : { dataDir: dir });
const db = store.db;
const now = Date.now();
await db.run('INSERT INTO orgs (id, name, owner_email, settings, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)', ['o', 'o', 'o@o.test', '{}', now, now]);
const wh = newId('wh');
await db.run(
  `INSERT INTO webhooks (id, org_id, url, events, state, preset, signature, policy, created_at, updated_at)
   VALUES (?, 'o', 'http://127.0.0.1:9/', '["m.e"]', 'enabled', 'standard', '{"scheme":"standard"}', '{}', ?, ?)`,
  [wh, now, now],
);
await db.run(`INSERT INTO webhook_subscriptions (org_id, event_type, webhook_id) VALUES ('o', 'm.e', ?)`, [wh]);

const us = (ms) => ((ms * 1000) / N).toFixed(1);
const entity = JSON.stringify({ id: 'x', text: 'a'.repeat(900) });
const cpuUs = (c) => (((c.user + c.system) / N)).toFixed(1);
let cpu = process.cpuUsage();
let t = performance.now();
for (let i = 0; i < N; i += INGEST_GROUP) {
  const group = [];
  for (let j = i; j < Math.min(N, i + INGEST_GROUP); j++) {
    group.push({ id: newId('evt'), org_id: 'o', app_id: null, type: 'm.e', entity_type: 'm', entity_id: String(j), entity, modified_fields: [], event_time: Date.now(), idempotency_key: null, request_hash: null, created_at: Date.now() });
  }
  await store.hot.ingest([group], planFanOut);
}
const ingestMs = performance.now() - t;
const ingestCpu = process.cpuUsage(cpu);
cpu = process.cpuUsage();

let claimMs = 0;
let completeMs = 0;
let done = 0;
const headers = { 'content-type': 'application/json', 'webhook-id': 'msg_x', 'webhook-timestamp': '1700000000', 'webhook-signature': 'v1,' + 'A'.repeat(44), 'user-agent': 'Herald/0.1' };
while (done < N) {
  t = performance.now();
  const rows = await store.hot.claim(CLAIM_BATCH, Date.now(), 30_000, `tok${done}`);
  claimMs += performance.now() - t;
  if (rows.length === 0) break;
  const results = rows.map((r) => {
    const started = Date.now();
    return {
      delivery_id: r.id, webhook_id: r.webhook_id, lease_token: r.lease_token, status: 'succeeded', next_attempt_at: null, fifo: r.fifo,
      attempt: {
        id: newId('att', started), delivery_id: r.id, webhook_id: r.webhook_id, org_id: r.org_id, attempt: 1, started_at: started, duration_ms: 2,
        outcome: 'success', status_code: 200, error_code: null, error_message: null, request_headers: headers,
        response_headers: { 'content-length': '2', date: new Date().toUTCString(), connection: 'keep-alive' }, response_body: 'ok', response_truncated: false, is_test: false,
      },
    };
  });
  for (let i = 0; i < results.length; i += RESULT_BATCH) {
    t = performance.now();
    await store.hot.complete(results.slice(i, i + RESULT_BATCH), Date.now());
    completeMs += performance.now() - t;
  }
  done += rows.length;
}
const deliverCpu = process.cpuUsage(cpu);
const shape = `${values.store}, batches of ${BATCH ?? '1000/256/512'}`;
console.log(`${shape}: ${N} deliveries · ingest ${us(ingestMs)} µs/event · claim ${us(claimMs)} µs · complete ${us(completeMs)} µs per delivery (wall)`);
console.log(`CPU of the process: ingest ${cpuUs(ingestCpu)} µs/event · claim + complete ${cpuUs(deliverCpu)} µs per delivery`);
await store.close();
rmSync(dir, { recursive: true, force: true });
if (admin) {
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}
