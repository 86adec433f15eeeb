// 6. backlog — 1,000,000 pending deliveries (quick: 100,000) pre-ingested with --role api, then
// one worker drains them: Herald's peak RSS while a huge backlog is pending, and whether the
// drain rate holds: deliveries/s over the first and the last 10 % (by arrival at the receiver).
import { startReceiver } from '../lib/receiver.mjs';
import { stopChild } from '../lib/children.mjs';
import { createStore } from '../lib/store.mjs';
import { preIngest, drain } from '../lib/phases.mjs';
import { sizes } from '../lib/sizes.mjs';

export const name = 'backlog';
export const title = 'backlog: huge pending backlog, worker RSS and first/last 10 % drain rate';

export function cases(ctx) {
  return ['sqlite', 'postgres'].map((store) => ({
    id: `backlog-${store}`,
    scenario: name,
    store,
    label: `backlog ${store}`,
    primary: 'rate',
    rows: [
      { key: 'rate', label: 'deliveries/s overall', unit: '/s' },
      { key: 'first10_rate', label: 'deliveries/s first 10 %', unit: '/s' },
      { key: 'last10_rate', label: 'deliveries/s last 10 %', unit: '/s' },
      { key: 'herald_rss_mb', label: 'worker peak RSS', unit: 'MB' },
      { key: 'api_rss_mb', label: 'api peak RSS during ingest', unit: 'MB' },
      { key: 'ingest_rate', label: 'batch ingest events/s', unit: '/s' },
      { key: 'store_mb', label: 'store size after ingest', unit: 'MB' },
    ],
    runOnce: () => runBacklog(ctx, store),
  }));
}

async function runBacklog(ctx, storeKind) {
  const N = sizes(ctx).backlogN;
  const tenth = Math.round(N / 10);
  const store = await createStore(storeKind);
  const receiver = await startReceiver({ name: `${ctx.runTag}-receiver` });
  try {
    const ing = await preIngest({ ctx, store, receiver, events: N, label: `${storeKind} backlog ingest` });
    const bytes = await store.sizeBytes().catch(() => null);
    const d = await drain({ ctx, store, receiver, expected: N, label: `${storeKind} backlog drain`, timesOf: [1, tenth, N - tenth] });
    // timesOf: [N, 1, tenth, N - tenth] (wall ms, 10 ms resolution, by arrival)
    const [tN, t1, tTenth, tLast] = d.timesOf;
    return {
      metrics: {
        rate: d.rate,
        first10_rate: tTenth && t1 && tTenth > t1 ? (tenth - 1) / ((tTenth - t1) / 1000) : null,
        last10_rate: tN && tLast && tN > tLast ? tenth / ((tN - tLast) / 1000) : null,
        herald_rss_mb: d.resources.herald?.peak_rss_mb ?? null,
        herald_cpu_s: d.resources.herald?.cpu_s ?? null,
        api_rss_mb: ing.resources['herald-api']?.peak_rss_mb ?? null,
        ingest_rate: ing.ingest.events_per_s,
        store_mb: bytes ? bytes / 2 ** 20 : null,
        store_bytes_per_event: bytes ? bytes / N : null,
        seconds: d.seconds,
        n: N,
        failed: d.failed,
        metrics_scrape_ms_max: d.scrape_ms_max,
      },
      phases: { drain: d.resources, ingest: ing.resources },
      primaryPhase: 'drain',
      info: { pg_drain: d.pg, pg_ingest: ing.pg },
    };
  } finally {
    await stopChild(receiver.child, { graceMs: 2000 });
    await store.destroy();
  }
}
