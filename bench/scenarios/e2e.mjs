// 3. end-to-end — one `herald serve` (role all) on a fresh store; the load process ingests
// single events over the HTTP API with 32 requests in flight for the measured window (after a
// short warm-up). Figures: sustained delivered/s (arrivals at the receiver inside the window),
// ingest accepted/s, and p50/p99 from ingest call start to arrival at the receiver.
import { withHeraldSystem } from '../lib/herald-system.mjs';
import { Meter } from '../lib/proc-stats.mjs';
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
  return withHeraldSystem(ctx, storeKind, mode === 'single' ? 'e2e load' : 'open-loop load', async (sys) => {
    const meter = new Meter();
    sys.meter(meter);
    meter.add('receiver', sys.receiver.child.pid, { reset: true });
    meter.add('load', sys.load.pid, { fresh: true });
    const loadOpts =
      mode === 'single'
        ? { ...sys.ingest, concurrency: 32, durationMs: sz.e2eMs }
        : { ...sys.ingest, rate: sz.latencyRate, durationMs: sz.latencyMs, connections: 128 };
    const m = await measureIngestToArrival({
      receiver: sys.receiver,
      load: sys.load,
      mode,
      loadOpts,
      warmupMs: mode === 'single' ? sz.e2eWarmupMs : sz.latencyWarmupMs,
      waitAllDelivered: (target) =>
        waitForCount(sys.delivered, target, {
          timeoutMs: 180_000,
          onProgress: progressPrinter(`${storeKind} catch-up`),
          abortIf: sys.exited,
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
  });
}
