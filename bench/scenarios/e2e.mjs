// 3. end-to-end — one `herald serve` (role all) on a fresh store; the load process ingests
// single events over the HTTP API with 32 requests in flight for the measured window (after a
// short warm-up). Figures: sustained delivered/s (arrivals at the receiver inside the window),
// ingest accepted/s, and p50/p99 from ingest call start to arrival at the receiver.
import { startReceiver } from '../lib/receiver.mjs';
import { startLoad } from '../lib/load.mjs';
import { stopChild } from '../lib/children.mjs';
import { createStore } from '../lib/store.mjs';
import { startHerald, stopHerald, setupFixture, ingestPaths, authHeaders, completedAcross } from '../lib/herald.mjs';
import { Meter, pidsByComm } from '../lib/proc-stats.mjs';
import { progressPrinter } from '../lib/progress.mjs';
import { waitForCount } from '../lib/wait.mjs';
import { measureIngestToArrival } from '../lib/measure.mjs';
import { sizes } from '../lib/sizes.mjs';

export const name = 'e2e';
export const title = 'end-to-end: 32 concurrent single-event ingest calls, ingest→arrival latency';

export const E2E_ROWS = [
  { key: 'delivered_per_s', label: 'delivered/s (during load)', unit: '/s' },
  { key: 'accepted_per_s', label: 'ingest accepted/s', unit: '/s' },
  { key: 'p50_ms', label: 'p50 ingest→arrival', unit: 'ms' },
  { key: 'p99_ms', label: 'p99 ingest→arrival', unit: 'ms' },
];

export function cases(ctx) {
  return ['sqlite', 'postgres'].map((store) => ({
    id: `e2e-${store}`,
    scenario: name,
    store,
    label: `end-to-end ${store}`,
    primary: 'delivered_per_s',
    rows: E2E_ROWS,
    runOnce: () => runIngestToArrival(ctx, store, { mode: 'single' }),
  }));
}

/** Shared by e2e (closed loop) and latency (open loop). */
export async function runIngestToArrival(ctx, storeKind, { mode }) {
  const sz = sizes(ctx);
  const store = await createStore(storeKind);
  const receiver = await startReceiver({ name: `${ctx.runTag}-receiver`, latency: true });
  let herald = null;
  let load = null;
  try {
    herald = await startHerald({ name: `${ctx.runTag}-herald`, role: 'all', storeEnv: store.env });
    const fx = await setupFixture(herald, [receiver.url('/hook/0')]);
    for (const n of fx.notes) ctx.note(n);
    load = await startLoad({ name: `${ctx.runTag}-load`, onProgress: progressPrinter(`${storeKind} ${mode === 'single' ? 'e2e' : 'open-loop'} load`) });
    const meter = new Meter();
    meter.add('herald', herald.pid, { reset: true });
    meter.add('receiver', receiver.child.pid, { reset: true });
    meter.add('load', load.pid, { fresh: true });
    if (store.kind === 'postgres') meter.addGroup('postgres', () => pidsByComm('postgres'));
    const h = herald;
    const loadOpts =
      mode === 'single'
        ? { origin: herald.origin, path: ingestPaths.single, headers: authHeaders, concurrency: 32, durationMs: sz.e2eMs }
        : { origin: herald.origin, path: ingestPaths.single, headers: authHeaders, rate: sz.latencyRate, durationMs: sz.latencyMs, connections: 128 };
    const m = await measureIngestToArrival({
      receiver,
      load,
      mode,
      loadOpts,
      warmupMs: mode === 'single' ? sz.e2eWarmupMs : sz.latencyWarmupMs,
      waitAllDelivered: (target) =>
        waitForCount(async () => (await completedAcross([h])).done, target, {
          timeoutMs: 180_000,
          onProgress: progressPrinter(`${storeKind} catch-up`),
          abortIf: async () => (h.child.bench.exited ? `herald exited (${h.child.bench.code ?? h.child.bench.signal})` : null),
        }),
    });
    const resources = meter.stop();
    if (m.res.firstError) ctx.warn(`${ctx.runTag} ingest: ${m.res.firstError}`);
    if (!m.done.reached) ctx.warn(`${ctx.runTag}: not all accepted events were recorded as delivered: ${m.done.reason}`);
    if (m.metrics.open_loop_skipped) ctx.warn(`${ctx.runTag}: open loop skipped ${m.metrics.open_loop_skipped} sends (more than 2000 ingest calls outstanding)`);
    return {
      metrics: { ...m.metrics, herald_rss_mb: resources.herald?.peak_rss_mb ?? null, herald_cpu_s: resources.herald?.cpu_s ?? null },
      phases: { [mode === 'single' ? 'e2e' : 'latency']: resources },
      primaryPhase: mode === 'single' ? 'e2e' : 'latency',
      info: { statuses: m.res.statuses, latency_max_per_second_ms: m.latencyMaxPerSecond },
    };
  } finally {
    if (load) {
      await load.close();
      await stopChild(load.child, { graceMs: 2000 });
    }
    if (herald) await stopHerald(herald, 15_000);
    await stopChild(receiver.child, { graceMs: 2000 });
    await store.destroy();
  }
}
