// 5. fan-out — one event type, 100 webhooks (distinct URLs /hook/0..99 on the receiver);
// E events pre-ingested (E×100 deliveries) with --role api, then drained by a fresh worker.
// Read against the plain drain figure of the same store (target ≥ 80 %).
import { startReceiver } from '../lib/receiver.mjs';
import { stopChild } from '../lib/children.mjs';
import { createStore } from '../lib/store.mjs';
import { preIngest, drain } from '../lib/phases.mjs';
import { sizes } from '../lib/sizes.mjs';

export const name = 'fanout';
export const title = 'fan-out: 1 event type × 100 webhooks, pre-ingested then drained';

export function cases(ctx) {
  return ['sqlite', 'postgres'].map((store) => ({
    id: `fanout-${store}`,
    scenario: name,
    store,
    label: `fan-out ${store}`,
    primary: 'rate',
    rows: [
      { key: 'rate', label: 'deliveries/s (worker spawn → recorded)', unit: '/s' },
      { key: 'ingest_deliveries_per_s', label: 'deliveries created/s at ingest', unit: '/s' },
      { key: 'herald_rss_mb', label: 'worker peak RSS', unit: 'MB' },
    ],
    runOnce: () => runFanout(ctx, store),
  }));
}

async function runFanout(ctx, storeKind) {
  const sz = sizes(ctx);
  const E = sz.fanoutEvents;
  const W = sz.fanoutWebhooks;
  const expected = E * W;
  const store = await createStore(storeKind);
  const receiver = await startReceiver({ name: `${ctx.runTag}-receiver` });
  try {
    const hookPaths = Array.from({ length: W }, (_, i) => `/hook/${i}`);
    const ing = await preIngest({ ctx, store, receiver, hookPaths, events: E, label: `${storeKind} fan-out ingest` });
    const d = await drain({ ctx, store, receiver, expected, label: `${storeKind} fan-out drain` });
    if (d.paths !== W || d.per_path_min !== E) ctx.warn(`${ctx.runTag}: uneven fan-out: ${d.paths} paths, per path min ${d.per_path_min} max ${d.per_path_max} (expected ${W} paths × ${E})`);
    return {
      metrics: {
        rate: d.rate,
        rate_from_ready: d.rate_from_ready,
        seconds: d.seconds,
        events: E,
        webhooks: W,
        deliveries: expected,
        ingest_events_per_s: ing.ingest.events_per_s,
        ingest_deliveries_per_s: ing.ingest.events_per_s * W,
        herald_rss_mb: d.resources.herald?.peak_rss_mb ?? null,
        herald_cpu_s: d.resources.herald?.cpu_s ?? null,
        per_path_min: d.per_path_min,
        per_path_max: d.per_path_max,
        failed: d.failed,
      },
      phases: { drain: d.resources, ingest: ing.resources },
      primaryPhase: 'drain',
      info: { pg_drain: d.pg },
    };
  } finally {
    await stopChild(receiver.child, { graceMs: 2000 });
    await store.destroy();
  }
}
