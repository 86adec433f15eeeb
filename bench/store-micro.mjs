#!/usr/bin/env node
// The store's share of a delivery, without HTTP: ingest N events for one webhook, then claim
// and complete them in the worker's batch sizes, timing each phase (µs per delivery), and the
// process's CPU per delivery (all threads). --batch N sets the ingest group, claim and result
// batch size (small batches show the per-transaction cost that single-event streams pay).
// The hot path runs on this thread, as it does on the engine thread. --wal (PostgreSQL) also
// prints the WAL each phase wrote per delivery, by table or index and record type, counting
// only this run's records (pg_walinspect, in a scratch database the run creates and drops).
// Usage: node bench/store-micro.mjs [--n 20000] [--store sqlite|postgres] [--batch N] [--wal]  (needs npm run build)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../packages/server/dist/store/store.js';
import { planFanOut } from '../packages/server/dist/engine/fan-out.js';
import { newId } from '../packages/server/dist/ids.js';
import { requestHeaders } from '../packages/server/dist/engine/attempt-outcome.js';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '20000' }, store: { type: 'string', default: 'sqlite' }, batch: { type: 'string' }, wal: { type: 'boolean', default: false } },
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
if (values.wal && values.store !== 'postgres') throw new Error('--wal reads PostgreSQL\'s WAL: add --store postgres');
let admin;
let wal = null;
let storeUrl = null;
if (values.store === 'postgres') {
  const pg = (await import('pg')).default;
  admin = new pg.Client(pgUrl);
  await admin.connect();
  if (values.wal) {
    // A database of its own: WAL records name their database, so other clients' writes are left out.
    await admin.query(`CREATE DATABASE ${schema}`);
    storeUrl = pgUrl.replace(/\/test$/, `/${schema}`);
    wal = await walProbe(new pg.Client(storeUrl));
  } else {
    await admin.query(`CREATE SCHEMA ${schema}`);
    storeUrl = `${pgUrl}?options=-c%20search_path%3D${schema}`;
  }
}
const store = await openStore(storeUrl ? { dataDir: dir, databaseUrl: storeUrl } : { dataDir: dir });
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
  await measured('ingest', () => store.hot.ingest([group], planFanOut));
}
const ingestMs = performance.now() - t;
const ingestCpu = process.cpuUsage(cpu);
cpu = process.cpuUsage();

let claimMs = 0;
let completeMs = 0;
let done = 0;
// The engine's request headers (its fixed ones, then the standard scheme's), signed by a
// stand-in that costs no HMAC: the attempt row is the size the worker writes.
const stubSigner = { headers: (id, ts) => ({ 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': 'v1,' + 'A'.repeat(44) }) };
while (done < N) {
  t = performance.now();
  const rows = await measured('claim', () => store.hot.claim(CLAIM_BATCH, Date.now(), 30_000, `tok${done}`));
  claimMs += performance.now() - t;
  if (rows.length === 0) break;
  const results = rows.map((r) => {
    const started = Date.now();
    return {
      delivery_id: r.id, webhook_id: r.webhook_id, lease_token: r.lease_token, status: 'succeeded', next_attempt_at: null, fifo: r.fifo,
      attempt: {
        id: newId('att', started), delivery_id: r.id, webhook_id: r.webhook_id, org_id: r.org_id, attempt: 1, started_at: started, duration_ms: 2,
        outcome: 'success', status_code: 200, error_code: null, error_message: null, request_headers: requestHeaders(stubSigner, r.id, Math.floor(started / 1000), ''),
        response_headers: { 'content-length': '2', date: new Date().toUTCString(), connection: 'keep-alive' }, response_body: 'ok', response_truncated: false, is_test: false,
      },
    };
  });
  for (let i = 0; i < results.length; i += RESULT_BATCH) {
    t = performance.now();
    await measured('complete', () => store.hot.complete(results.slice(i, i + RESULT_BATCH), Date.now()));
    completeMs += performance.now() - t;
  }
  done += rows.length;
}
const deliverCpu = process.cpuUsage(cpu);
const shape = `${values.store}, batches of ${BATCH ?? '1000/256/512'}`;
console.log(`${shape}: ${N} deliveries · ingest ${us(ingestMs)} µs/event · claim ${us(claimMs)} µs · complete ${us(completeMs)} µs per delivery (wall)`);
console.log(`CPU of the process: ingest ${cpuUs(ingestCpu)} µs/event · claim + complete ${cpuUs(deliverCpu)} µs per delivery`);
if (wal) await wal.report();
await store.close();
rmSync(dir, { recursive: true, force: true });
if (wal) await wal.end();
if (admin) {
  await admin.query(values.wal ? `DROP DATABASE ${schema}` : `DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}

/** Runs one hot-path call, noting the WAL range it wrote in when --wal is on. */
async function measured(phase, fn) {
  if (!wal) return fn();
  const from = await wal.lsn();
  const out = await fn();
  wal.ranges.push([phase, from, await wal.lsn()]);
  return out;
}

/** WAL accounting for --wal: LSN ranges per phase, read back with pg_walinspect and kept to this database. */
async function walProbe(client) {
  await client.connect();
  await client.query('CREATE EXTENSION pg_walinspect');
  const dbOid = Number((await client.query('SELECT oid FROM pg_database WHERE datname = current_database()')).rows[0].oid);
  const ranges = [];
  return {
    ranges,
    lsn: async () => (await client.query('SELECT pg_current_wal_insert_lsn() AS l')).rows[0].l,
    async report() {
      const names = new Map((await client.query('SELECT pg_relation_filenode(oid) AS f, relname FROM pg_class WHERE pg_relation_filenode(oid) IS NOT NULL')).rows
        .map((r) => [String(r.f), r.relname]));
      const phases = new Map();
      for (const [phase, from, to] of ranges) {
        const p = phases.get(phase) ?? phases.set(phase, { total: 0, by: new Map() }).get(phase);
        if (from === to) continue;
        const { rows } = await client.query('SELECT resource_manager, record_type, record_length, block_ref FROM pg_get_wal_records_info($1, $2)', [from, to]);
        for (const r of rows) {
          const ref = /rel \d+\/(\d+)\/(\d+)/.exec(r.block_ref ?? '');
          // Records of other databases, and others' commits, are not this run's.
          if (ref ? Number(ref[1]) !== dbOid : r.resource_manager !== 'Transaction') continue;
          const key = `${ref ? (names.get(ref[2]) ?? ref[2]) : 'commit'} ${r.resource_manager}/${r.record_type}`;
          p.total += Number(r.record_length);
          p.by.set(key, (p.by.get(key) ?? 0) + Number(r.record_length));
        }
      }
      for (const [phase, p] of phases) {
        console.log(`WAL ${phase}: ${(p.total / N).toFixed(0)} B per delivery (full-page images included)`);
        for (const [key, bytes] of [...p.by].sort((a, b) => b[1] - a[1]).filter(([, b]) => b / N >= 10)) {
          console.log(`  ${key.padEnd(56)} ${(bytes / N).toFixed(0)} B`);
        }
      }
    },
    end: () => client.end(),
  };
}
