import { iso } from '../time.js';
import { recentAttempts, recentTotals } from '../store/queries/attempt-stats.js';
import type { SqlExecutor } from '../store/sql.js';

const MINUTE = 60_000;

/** The value below which a fraction q of the sorted numbers lie (nearest rank). */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** Failures, attempts and success rate over the last 24 h, for webhook lists. */
export async function last24h(db: SqlExecutor, ids: readonly string[], now = Date.now()) {
  const totals = await recentTotals(db, ids, now - 24 * 60 * MINUTE);
  return (id: string) => {
    const t = totals.get(id) ?? { attempts: 0, failed: 0 };
    return {
      attempts_24h: t.attempts,
      failures_24h: t.failed,
      success_rate_24h: t.attempts === 0 ? null : (t.attempts - t.failed) / t.attempts,
    };
  };
}

/**
 * Per-minute attempts by outcome and latency percentiles of one webhook over the last
 * `hours`: only minutes that had attempts are listed. Test sends are left out.
 */
export async function webhookStats(db: SqlExecutor, webhookId: string, hours: number, now = Date.now()) {
  const from = now - hours * 60 * MINUTE;
  const rows = await recentAttempts(db, webhookId, from);
  const buckets = new Map<number, { succeeded: number; failed: number; durations: number[] }>();
  const all: number[] = [];
  let failed = 0;
  for (const r of rows) {
    const t = Math.floor(r.started_at / MINUTE) * MINUTE;
    let b = buckets.get(t);
    if (!b) buckets.set(t, (b = { succeeded: 0, failed: 0, durations: [] }));
    if (r.outcome === 'success') b.succeeded++;
    else {
      b.failed++;
      failed++;
    }
    b.durations.push(r.duration_ms);
    all.push(r.duration_ms);
  }
  const byNumber = (a: number, b: number) => a - b;
  all.sort(byNumber);
  return {
    from: iso(from),
    to: iso(now),
    bucket_seconds: 60,
    buckets: [...buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([t, b]) => {
        b.durations.sort(byNumber);
        return { t: iso(t), succeeded: b.succeeded, failed: b.failed, p50_ms: percentile(b.durations, 0.5), p99_ms: percentile(b.durations, 0.99) };
      }),
    totals: {
      attempts: rows.length,
      succeeded: rows.length - failed,
      failed,
      success_rate: rows.length === 0 ? null : (rows.length - failed) / rows.length,
      p50_ms: percentile(all, 0.5),
      p99_ms: percentile(all, 0.99),
    },
  };
}
