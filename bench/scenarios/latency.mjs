// 4. latency — open loop: events ingested one by one at a fixed 1,000/s (scheduled times, so a
// slow server cannot slow the sender down and hide its own delay) into one `herald serve`;
// p50/p99/max from the scheduled ingest instant to arrival at the receiver.
import { runIngestToArrival } from './e2e.mjs';

export const name = 'latency';
export const title = 'latency: open loop at 1,000 events/s, ingest→arrival p50/p99/max';

export function cases(ctx) {
  return ['sqlite', 'postgres'].map((store) => ({
    id: `latency-${store}`,
    scenario: name,
    store,
    label: `latency ${store}`,
    primary: 'p99_ms',
    rows: [
      { key: 'p50_ms', label: 'p50 ingest→arrival', unit: 'ms' },
      { key: 'p99_ms', label: 'p99 ingest→arrival', unit: 'ms' },
      { key: 'max_ms', label: 'max ingest→arrival', unit: 'ms' },
      { key: 'delivered_per_s', label: 'delivered/s (should be ≈ rate)', unit: '/s' },
      { key: 'ingest_p99_ms', label: 'ingest call p99', unit: 'ms' },
    ],
    runOnce: () => runIngestToArrival(ctx, store, { mode: 'open' }),
  }));
}
