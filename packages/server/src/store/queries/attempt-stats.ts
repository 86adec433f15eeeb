import type { SqlExecutor } from '../sql.js';
import { placeholders } from './rows.js';

/** Attempts and failures per webhook since a time (test sends left out). */
export async function recentTotals(db: SqlExecutor, webhookIds: readonly string[], since: number): Promise<Map<string, { attempts: number; failed: number }>> {
  const out = new Map<string, { attempts: number; failed: number }>();
  if (webhookIds.length === 0) return out;
  const rows = await db.all<{ webhook_id: string; n: number | string; failed: number | string | null }>(
    `SELECT webhook_id, count(*) AS n, sum(CASE WHEN outcome = 'failure' THEN 1 ELSE 0 END) AS failed
     FROM attempts WHERE webhook_id IN (${placeholders(webhookIds.length)}) AND started_at >= ? AND is_test = ?
     GROUP BY webhook_id`,
    [...webhookIds, since, 0],
  );
  for (const r of rows) out.set(r.webhook_id, { attempts: Number(r.n), failed: Number(r.failed ?? 0) });
  return out;
}

/** The most attempts one stats answer reads; beyond it the oldest minutes are left out. */
export const STATS_ROW_LIMIT = 200_000;

/** One webhook's attempts since a time, newest first, for per-minute figures. */
export async function recentAttempts(db: SqlExecutor, webhookId: string, since: number): Promise<{ started_at: number; duration_ms: number; outcome: string }[]> {
  const rows = await db.all<{ started_at: number | string; duration_ms: number | string; outcome: string }>(
    `SELECT started_at, duration_ms, outcome FROM attempts
     WHERE webhook_id = ? AND started_at >= ? AND is_test = ? ORDER BY started_at DESC LIMIT ?`,
    [webhookId, since, 0, STATS_ROW_LIMIT],
  );
  return rows.map((r) => ({ started_at: Number(r.started_at), duration_ms: Number(r.duration_ms), outcome: r.outcome }));
}
