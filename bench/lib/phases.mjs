// The two phases every "drain" style scenario is built from:
//   preIngest: `herald serve --role api` on a fresh store, fixture (org + webhooks), N events
//              through the batch API (1000 per call, several calls in flight), then SIGTERM and
//              wait for exit. Nothing is delivered: no worker runs.
//   drain:     `herald serve --role worker` (one or more) started on the same store; timed from
//              spawn until herald_deliveries_completed_total (succeeded + failed) reaches N.
import { startHerald, stopHerald, setupFixture, ingestPaths, authHeaders, completedAcross } from './herald.mjs';
import { startLoad } from './load.mjs';
import { Meter, pidsByComm } from './proc-stats.mjs';
import { progressPrinter } from './progress.mjs';
import { waitForCount } from './wait.mjs';
import { wallNow } from './stats.mjs';
import { sizes } from './sizes.mjs';
import { dbXacts, walBytesBetween, walLsn } from './store.mjs';
import { stopChild } from './children.mjs';
import { BATCH_SIZE, METRICS_SCRAPE_FAR_MS } from './constants.mjs';

function addStoreMeters(meter, store) {
  if (store.kind === 'postgres') meter.addGroup('postgres', () => pidsByComm('postgres'));
}

async function pgCounters(store) {
  if (store.kind !== 'postgres') return null;
  const [lsn, x] = await Promise.all([walLsn(), dbXacts(store.db)]);
  return { lsn, ...x };
}

async function pgDelta(store, a, b) {
  if (!a || !b) return null;
  return {
    wal_bytes: await walBytesBetween(a.lsn, b.lsn),
    xacts: b.xacts - a.xacts,
    tup_inserted: b.inserted - a.inserted,
    tup_updated: b.updated - a.updated,
    tup_deleted: b.deleted - a.deleted,
  };
}

/**
 * Returns { ingest: { events_per_s, ... }, resources, pg, webhooks }.
 * `storeEnv` may differ from store.env (e.g. a URL through the statement-counting proxy).
 */
export async function preIngest({ ctx, store, storeEnv = store.env, receiver, hookPaths = ['/hook/0'], targets = null, events, proxy = null, label = 'ingest' }) {
  const api = await startHerald({ name: `${ctx.runTag}-herald-api`, role: 'api', storeEnv });
  let load = null;
  try {
    // `targets`: webhook bodies other than the receiver's URLs (setupFixture), e.g. broker destinations
    const fixture = await setupFixture(api, targets ?? hookPaths.map((p) => receiver.url(p)));
    for (const n of fixture.notes) ctx.note(n);
    load = await startLoad({ name: `${ctx.runTag}-load-batch`, onProgress: progressPrinter(label) });
    // let pg_stat_database catch up with the fixture's transactions before the baseline read
    const pg0 = await pgCounters(store);
    if (proxy) await proxy.reset();
    const meter = new Meter();
    meter.add('herald-api', api.pid, { reset: true });
    meter.add('load', load.pid, { fresh: true });
    if (proxy) meter.add('pg-proxy', proxy.child.pid, { reset: true });
    addStoreMeters(meter, store);
    const res = await load.run('batch', {
      origin: api.origin,
      path: ingestPaths.batch,
      headers: authHeaders,
      total: events,
      batchSize: BATCH_SIZE,
      concurrency: sizes(ctx).batchConcurrency,
    });
    const resources = meter.stop();
    const stmts = proxy ? await proxy.stats() : null;
    if (res.accepted !== events) throw new Error(`batch ingest accepted ${res.accepted} of ${events} events (${JSON.stringify(res.statuses)}; first error: ${res.firstError})`);
    const stop = await stopHerald(api);
    if (stop?.killed) ctx.warn(`${ctx.runTag}: herald --role api did not exit within the grace period after SIGTERM (killed)`);
    await new Promise((r) => setTimeout(r, store.kind === 'postgres' ? 700 : 0)); // stats flush
    const pg1 = await pgCounters(store);
    return {
      ingest: {
        events,
        events_per_s: res.eventsPerSec,
        seconds: res.elapsedMs / 1000,
        call_p50_ms: res.callMs.p50,
        call_p99_ms: res.callMs.p99,
      },
      resources,
      pg: await pgDelta(store, pg0, pg1),
      statements: stmts,
      webhooks: fixture.webhooks,
      exit: stop,
    };
  } finally {
    if (load) {
      await load.close();
      await stopChild(load.child, { graceMs: 2000 });
    }
    await stopHerald(api, 10_000);
  }
}

/**
 * Where the deliveries of a drain arrive, as drain() watches it: the receiver, or a broker
 * (bench/lib/destination-sinks.mjs). `count` is the arrivals so far (progress only: the drain
 * ends when Herald has recorded them); `stats` is the receiver's detail (null for a broker).
 */
export function receiverSink(receiver) {
  return {
    reset: () => receiver.call('reset'),
    meter: (meter) => meter.add('receiver', receiver.child.pid, { reset: true }),
    count: async () => (await receiver.call('stats', {}, 5000)).count,
    stats: (args) => receiver.call('stats', args),
  };
}

/**
 * Start `workers` worker processes and time them until `expected` deliveries are recorded.
 * Returns { rate, ..., resources, pg, samples, timesOf } and stops the workers.
 */
export async function drain({ ctx, store, storeEnv = store.env, receiver, sink = receiverSink(receiver), expected, workers = 1, proxy = null, label = 'drain', timesOf = [] }) {
  await sink.reset();
  const pg0 = await pgCounters(store);
  if (proxy) await proxy.reset();
  const meter = new Meter();
  sink.meter(meter);
  if (proxy) meter.add('pg-proxy', proxy.child.pid, { reset: true });
  addStoreMeters(meter, store);
  const t0 = wallNow();
  const hs = [];
  try {
    const starts = [];
    for (let i = 0; i < workers; i++) starts.push(startHerald({ name: `${ctx.runTag}-herald-worker${i}`, role: 'worker', storeEnv }));
    // register each worker with the meter as soon as it exists (CPU since its spawn)
    const settled = await Promise.allSettled(starts);
    for (const s of settled) if (s.status === 'fulfilled') hs.push(s.value);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    hs.forEach((h, i) => meter.add(workers === 1 ? 'herald' : `herald-w${i}`, h.pid, { cpuFromStart: true }));
    const tReady = Math.max(...hs.map((h) => h.tReady));
    let lastProgress = { t: wallNow(), done: -1 };
    let last = null;
    let lastScrape = 0;
    const scrapeMs = [];
    // GET /metrics is not free for Herald (its gauges count due deliveries in the store), so
    // while the drain is far from done progress comes from the receiver's arrival count (an
    // IPC call) and /metrics is scraped only every METRICS_SCRAPE_FAR_MS; from 95 % of the
    // arrivals on it is scraped at every poll, so the recorded count is seen crossing N.
    let lastArrivals = 0;
    const pp = progressPrinter(label);
    const nearFrom = expected - Math.max(200, Math.ceil(expected * 0.05));
    const done = await waitForCount(
      async () => {
        const arrivals = await sink.count();
        lastArrivals = arrivals;
        const now = wallNow();
        if (arrivals >= nearFrom || now - lastScrape >= METRICS_SCRAPE_FAR_MS || !last) {
          const s0 = performance.now();
          last = await completedAcross(hs);
          scrapeMs.push(performance.now() - s0);
          lastScrape = now;
          if (!last.present) throw new Error('metric herald_deliveries_completed_total not found in /metrics');
        }
        return last.done;
      },
      expected,
      {
        timeoutMs: Math.max(120_000, (expected / 300) * 1000),
        onProgress: (m) => pp({ ...m, phase: 'arrived', done: lastArrivals, text: `recorded ${last?.done ?? 0}` }),
        abortIf: async () => {
          const dead = hs.find((h) => h.child.bench.exited);
          if (dead) return `${dead.name} exited (${dead.child.bench.code ?? dead.child.bench.signal}) during the drain`;
          const now = wallNow();
          if (last && last.done !== lastProgress.done) lastProgress = { t: now, done: last.done };
          else if (now - lastProgress.t > 60_000) return `no progress for 60 s (recorded ${last?.done ?? 0} of ${expected}; retry ${last?.retry ?? 0}, in flight ${last?.inflight ?? 0})`;
          return null;
        },
      },
    );
    const resources = meter.stop();
    if (!done.reached) throw new Error(`drain did not complete: ${done.reason}`);
    const rs = sink.stats ? await sink.stats({ timesOf: [expected, ...timesOf], perPath: true }) : {};
    await new Promise((r) => setTimeout(r, store.kind === 'postgres' ? 700 : 0));
    const pg1 = await pgCounters(store);
    const stmts = proxy ? await proxy.stats() : null;
    const secs = (done.tDone - t0) / 1000;
    const pathCounts = Object.values(rs.perPath ?? {});
    return {
      rate: expected / secs,
      rate_from_ready: expected / ((done.tDone - tReady) / 1000),
      rate_arrivals: rs.timesOf?.[0] ? expected / ((rs.timesOf[0] - t0) / 1000) : null,
      seconds: secs,
      startup_s: (tReady - t0) / 1000,
      succeeded: last?.succeeded ?? null,
      failed: last?.failed ?? null,
      retry: last?.retry ?? null,
      arrivals: rs.count ?? lastArrivals,
      signed: rs.signed,
      max_inflight_seen: rs.maxInflight,
      per_path_min: pathCounts.length ? Math.min(...pathCounts) : null,
      per_path_max: pathCounts.length ? Math.max(...pathCounts) : null,
      paths: pathCounts.length,
      timesOf: rs.timesOf,
      firstArrival: rs.firstAt,
      t0,
      resources,
      pg: await pgDelta(store, pg0, pg1),
      statements: stmts,
      samples: done.samples,
      scrape_ms_max: scrapeMs.length ? Math.max(...scrapeMs) : null,
      scrapes: scrapeMs.length,
    };
  } finally {
    meter.stop();
    await Promise.all(hs.map((h) => stopHerald(h, 15_000)));
  }
}
