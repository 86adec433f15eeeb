// 2. drain — N events pre-ingested through the batch API while Herald runs with --role api
// (which also measures durable batch ingest, events/s), that process stopped, then
// `herald serve --role worker` started: deliveries/s from worker spawn until all N deliveries
// are recorded (herald_deliveries_completed_total). Default Standard Webhooks signing.
// PostgreSQL adds: WAL bytes and transactions per delivery, a run with two worker processes,
// and one run through the statement-counting proxy (statements per delivery).
import { startReceiver } from '../lib/receiver.mjs';
import { stopChild } from '../lib/children.mjs';
import { createStore } from '../lib/store.mjs';
import { startPgProxy } from '../lib/pg-proxy.mjs';
import { preIngest, drain } from '../lib/phases.mjs';
import { sizes } from '../lib/sizes.mjs';

export const name = 'drain';
export const title = 'pre-ingested backlog drained by a fresh worker (batch ingest measured on the way)';

const ROWS = [
  { key: 'rate', label: 'deliveries/s (worker spawn → recorded)', unit: '/s' },
  { key: 'rate_from_ready', label: 'deliveries/s (from /healthz 200)', unit: '/s' },
  { key: 'ingest_rate', label: 'batch ingest events/s (role api)', unit: '/s' },
  { key: 'herald_rss_mb', label: 'worker peak RSS', unit: 'MB' },
];
const PG_ROWS = [
  { key: 'drain_wal_per_delivery', label: 'WAL bytes per delivery (drain)', unit: 'B' },
  { key: 'ingest_wal_per_event', label: 'WAL bytes per event (ingest)', unit: 'B' },
  { key: 'drain_xacts_per_delivery', label: 'transactions per delivery (drain)', unit: '' },
];

export function cases(ctx) {
  const out = [];
  for (const store of ['sqlite', 'postgres']) {
    out.push({
      id: `drain-${store}`,
      scenario: name,
      store,
      label: `drain ${store}`,
      primary: 'rate',
      rows: store === 'postgres' ? [...ROWS, ...PG_ROWS] : ROWS,
      runOnce: () => runDrain(ctx, store, { workers: 1 }),
    });
  }
  out.push({
    id: 'drain-postgres-2w',
    scenario: name,
    store: 'postgres',
    label: 'drain postgres 2 workers',
    primary: 'rate',
    rows: [ROWS[0], ROWS[1], ROWS[3]],
    runOnce: () => runDrain(ctx, 'postgres', { workers: 2 }),
  });
  out.push({
    id: 'drain-postgres-stmts',
    scenario: name,
    store: 'postgres',
    label: 'drain postgres via stmt proxy',
    primary: 'statements_per_delivery',
    runs: 1,
    rows: [
      { key: 'statements_per_delivery', label: 'statements per delivery (worker)', unit: '' },
      { key: 'roundtrips_per_delivery', label: 'round trips per delivery (worker)', unit: '' },
      { key: 'ingest_statements_per_event', label: 'statements per event (batch ingest)', unit: '' },
      { key: 'rate', label: 'deliveries/s through the proxy (info only)', unit: '/s' },
    ],
    runOnce: () => runDrain(ctx, 'postgres', { workers: 1, countStatements: true }),
  });
  return out;
}

export async function runDrain(ctx, storeKind, { workers = 1, countStatements = false } = {}) {
  const N = countStatements ? sizes(ctx).pgStatsN : sizes(ctx).drainN;
  const store = await createStore(storeKind);
  const receiver = await startReceiver({ name: `${ctx.runTag}-receiver` });
  const proxy = countStatements ? await startPgProxy({ name: `${ctx.runTag}-pg-proxy` }) : null;
  const storeEnv = proxy ? { HERALD_DATABASE_URL: store.urlVia(proxy.port) } : store.env;
  try {
    const ing = await preIngest({ ctx, store, storeEnv, receiver, events: N, proxy, label: `${storeKind} batch ingest` });
    const dbBytes = await store.sizeBytes().catch(() => null);
    const d = await drain({ ctx, store, storeEnv, receiver, expected: N, workers, proxy, label: `${storeKind} drain${workers > 1 ? ` ×${workers} workers` : ''}` });
    if (d.failed) ctx.warn(`${ctx.runTag}: ${d.failed} deliveries recorded as failed`);
    if (d.arrivals > N) ctx.note(`${ctx.runTag}: receiver saw ${d.arrivals} POSTs for ${N} deliveries (duplicates or validation requests)`);
    if (d.signed < Math.min(d.arrivals, N)) ctx.warn(`${ctx.runTag}: only ${d.signed} of ${d.arrivals} requests carried a webhook-signature header`);
    const herald = Object.entries(d.resources).filter(([k]) => k.startsWith('herald'));
    const metrics = {
      rate: d.rate,
      rate_from_ready: d.rate_from_ready,
      rate_arrivals: d.rate_arrivals,
      seconds: d.seconds,
      startup_s: d.startup_s,
      n: N,
      workers,
      ingest_rate: ing.ingest.events_per_s,
      ingest_call_p99_ms: ing.ingest.call_p99_ms,
      herald_rss_mb: Math.max(...herald.map(([, r]) => r.peak_rss_mb)),
      herald_cpu_s: herald.reduce((a, [, r]) => a + r.cpu_s, 0),
      herald_cpu_us_per_delivery: (herald.reduce((a, [, r]) => a + r.cpu_s, 0) / N) * 1e6,
      api_rss_mb: ing.resources['herald-api']?.peak_rss_mb ?? null,
      failed: d.failed,
      arrivals: d.arrivals,
      store_bytes_per_event: dbBytes ? dbBytes / N : null,
      metrics_scrape_ms_max: d.scrape_ms_max,
    };
    if (ing.pg) {
      metrics.ingest_wal_per_event = ing.pg.wal_bytes / N;
      metrics.ingest_xacts_per_event = ing.pg.xacts / N;
    }
    if (d.pg) {
      metrics.drain_wal_per_delivery = d.pg.wal_bytes / N;
      metrics.drain_xacts_per_delivery = d.pg.xacts / N;
      metrics.total_wal_per_delivery = ((ing.pg?.wal_bytes ?? 0) + d.pg.wal_bytes) / N;
    }
    if (countStatements) {
      metrics.statements_per_delivery = d.statements.total / N;
      metrics.roundtrips_per_delivery = d.statements.roundTrips / N;
      metrics.ingest_statements_per_event = ing.statements.total / N;
    }
    return {
      metrics,
      phases: { drain: d.resources, ingest: ing.resources },
      primaryPhase: 'drain',
      info: {
        pg_ingest: ing.pg,
        pg_drain: d.pg,
        statements_drain: d.statements,
        statements_ingest: ing.statements,
        wal_note: store.kind === 'postgres' ? 'WAL bytes are cluster-wide (pg_current_wal_lsn); other databases active at the same time would add to them' : undefined,
      },
    };
  } finally {
    if (proxy) await stopChild(proxy.child, { graceMs: 2000 });
    await stopChild(receiver.child, { graceMs: 2000 });
    await store.destroy();
  }
}
