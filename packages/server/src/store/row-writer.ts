/**
 * Executes row sets (row-sets.ts) through the SQL seam, in one transaction the caller holds:
 * SQLite row by row over cached prepared statements, PostgreSQL one `unnest` statement per
 * table. Also the one place webhook health counters are written from stats deltas.
 */
import { PARK_FIFO_SQL } from './queries/fifo.js';
import { columnArrays, insertManySql, insertOneSql, TABLES, values, type RowSet } from './row-sets.js';
import type { SqlExecutor } from './sql.js';
import type { WebhookStatsDelta } from './webhook-stats.js';

/** One webhook's counters (SQLite). Params: statsOneParams. */
export const STATS_ONE_SQL = `UPDATE webhooks SET last_triggered_at = max(coalesce(last_triggered_at, 0), ?),
  last_success_at = CASE WHEN ? IS NULL THEN last_success_at ELSE max(coalesce(last_success_at, 0), ?) END,
  last_failure_at = CASE WHEN ? IS NULL THEN last_failure_at ELSE max(coalesce(last_failure_at, 0), ?) END,
  consecutive_failures = CASE WHEN ? = 1 THEN ? ELSE consecutive_failures + ? END,
  failures_total = failures_total + ?, successes_total = successes_total + ?
WHERE id = ?`;

export function statsOneParams(s: WebhookStatsDelta): (string | number | null)[] {
  return [
    s.last_triggered_at, s.last_success_at, s.last_success_at, s.last_failure_at, s.last_failure_at,
    s.reset ? 1 : 0, s.consecutive_failures, s.consecutive_failures, s.failures, s.successes, s.webhook_id,
  ];
}

/** Every webhook's counters of a batch in one statement (PostgreSQL). Params: statsManyParams. */
export const STATS_MANY_SQL = `UPDATE webhooks w SET last_triggered_at = greatest(coalesce(w.last_triggered_at, 0), s.triggered),
  last_success_at = CASE WHEN s.success_at IS NULL THEN w.last_success_at ELSE greatest(coalesce(w.last_success_at, 0), s.success_at) END,
  last_failure_at = CASE WHEN s.failure_at IS NULL THEN w.last_failure_at ELSE greatest(coalesce(w.last_failure_at, 0), s.failure_at) END,
  consecutive_failures = CASE WHEN s.reset = 1 THEN s.consecutive ELSE w.consecutive_failures + s.consecutive END,
  failures_total = w.failures_total + s.failures, successes_total = w.successes_total + s.successes
FROM unnest(?::text[], ?::bigint[], ?::bigint[], ?::bigint[], ?::int[], ?::bigint[], ?::bigint[], ?::bigint[])
  AS s(id, triggered, success_at, failure_at, reset, consecutive, failures, successes)
WHERE w.id = s.id`;

export function statsManyParams(stats: readonly WebhookStatsDelta[]): (string | number | null)[][] {
  const cols: (string | number | null)[][] = Array.from({ length: 8 }, () => []);
  for (const x of stats) {
    [x.webhook_id, x.last_triggered_at, x.last_success_at, x.last_failure_at, x.reset ? 1 : 0, x.consecutive_failures,
      x.failures, x.successes].forEach((v, i) => cols[i]!.push(v));
  }
  return cols;
}

/** Writes a row set inside the caller's transaction `tx`. */
export async function writeRowSet(tx: SqlExecutor, rows: RowSet): Promise<void> {
  const { dialect } = tx;
  for (const { table, columns, rows: of } of TABLES) {
    const list = of(rows);
    if (list.length === 0) continue;
    if (dialect === 'postgres') await tx.run(insertManySql(table, columns), columnArrays(columns, list));
    else for (const row of list) await tx.run(insertOneSql(table, columns), values(columns, row));
  }
  if (rows.stats.length > 0) {
    if (dialect === 'postgres') await tx.run(STATS_MANY_SQL, statsManyParams(rows.stats));
    else for (const s of rows.stats) await tx.run(STATS_ONE_SQL, statsOneParams(s));
  }
  // Sorted: two PostgreSQL transactions lock webhooks' deliveries in the same order.
  for (const id of [...rows.parkFifo].sort()) await tx.run(PARK_FIFO_SQL, [id, id]);
}
