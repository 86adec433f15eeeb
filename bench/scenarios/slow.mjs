// 7. slow endpoints — the receiver answers every delivery after 100 ms; 20 webhooks. Events are
// pre-ingested (×20 deliveries) and drained by a fresh worker: deliveries/s, the most requests
// the receiver ever had in flight at once, and Herald's peak RSS. Throughput here is bound by
// how many requests Herald keeps in flight, not by CPU.
import { startReceiver } from '../lib/receiver.mjs';
import { stopChild } from '../lib/children.mjs';
import { createStore } from '../lib/store.mjs';
import { preIngest, drain } from '../lib/phases.mjs';
import { sizes } from '../lib/sizes.mjs';

export const name = 'slow';
export const title = 'slow endpoints: receiver answers after 100 ms, 20 webhooks';

export function cases(ctx) {
  return [
    {
      id: 'slow-sqlite',
      scenario: name,
      store: 'sqlite',
      label: 'slow endpoints sqlite',
      primary: 'rate',
      rows: [
        { key: 'rate', label: 'deliveries/s (worker spawn → recorded)', unit: '/s' },
        { key: 'max_inflight', label: 'max in flight at receiver', unit: '' },
        { key: 'herald_rss_mb', label: 'worker peak RSS', unit: 'MB' },
      ],
      runOnce: () => runSlow(ctx, 'sqlite'),
    },
  ];
}

async function runSlow(ctx, storeKind) {
  const sz = sizes(ctx);
  const E = sz.slowEvents;
  const W = sz.slowWebhooks;
  const expected = E * W;
  const store = await createStore(storeKind);
  const receiver = await startReceiver({ name: `${ctx.runTag}-receiver` });
  try {
    const hookPaths = Array.from({ length: W }, (_, i) => `/hook/${i}`);
    // webhook validation on save must not wait 100 ms × W: the delay is switched on after ingest
    const ing = await preIngest({ ctx, store, receiver, hookPaths, events: E, label: 'slow ingest' });
    await receiver.call('configure', { delayMs: sz.slowDelayMs });
    const d = await drain({ ctx, store, receiver, expected, label: 'slow drain' });
    return {
      metrics: {
        rate: d.rate,
        max_inflight: d.max_inflight_seen,
        herald_rss_mb: d.resources.herald?.peak_rss_mb ?? null,
        herald_cpu_s: d.resources.herald?.cpu_s ?? null,
        seconds: d.seconds,
        deliveries: expected,
        bound_by_inflight: (d.max_inflight_seen * 1000) / sz.slowDelayMs,
        failed: d.failed,
      },
      phases: { drain: d.resources, ingest: ing.resources },
      primaryPhase: 'drain',
      info: {},
    };
  } finally {
    await stopChild(receiver.child, { graceMs: 2000 });
    await store.destroy();
  }
}
