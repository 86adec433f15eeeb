import type { SqlExecutor } from '../sql.js';
import { chunks, placeholders } from './rows.js';

/**
 * FIFO webhooks: one delivery at a time, oldest first. The oldest pending delivery of such a
 * webhook (in flight, or waiting for a retry) is its head; every younger pending one waits
 * parked with next_attempt_at NULL, which no claim and no due-time lookup ever sees.
 * The claim statements also skip any fifo delivery with an older pending one, so two heads
 * (two ingests at once on PostgreSQL, or a resend of an old delivery) still go in order.
 * Pending work lives in delivery_queue (one row per pending delivery); its index
 * delivery_queue_fifo holds the fifo ones of each webhook in id (creation) order.
 */

/** Parks every pending fifo delivery of a webhook but its oldest (after an ingest added some). Params: webhook id twice. */
export const PARK_FIFO_SQL = `UPDATE delivery_queue SET next_attempt_at = NULL
  WHERE webhook_id = ? AND fifo = 1 AND lease_token IS NULL AND next_attempt_at IS NOT NULL
    AND delivery_id > (SELECT min(h.delivery_id) FROM delivery_queue h WHERE h.webhook_id = ? AND h.fifo = 1)`;

/** Releases a webhook's next fifo delivery when its oldest pending one is parked (its head finished). Params: now, webhook id. */
export const PROMOTE_FIFO_SQL = `UPDATE delivery_queue SET next_attempt_at = ?
  WHERE delivery_id = (SELECT n.delivery_id FROM delivery_queue n WHERE n.webhook_id = ? AND n.fifo = 1 ORDER BY n.delivery_id LIMIT 1)
    AND next_attempt_at IS NULL`;

/** The claim condition that keeps fifo deliveries in order, for a delivery_queue row aliased `alias`. */
export const fifoInOrder = (alias: string) =>
  `(${alias}.fifo = 0 OR NOT EXISTS (SELECT 1 FROM delivery_queue o WHERE o.webhook_id = ${alias}.webhook_id AND o.fifo = 1 AND o.delivery_id < ${alias}.delivery_id))`;

export function parkFifo(db: SqlExecutor, webhookId: string): Promise<number> {
  return db.run(PARK_FIFO_SQL, [webhookId, webhookId]);
}

export function promoteFifo(db: SqlExecutor, webhookId: string, now: number): Promise<number> {
  return db.run(PROMOTE_FIFO_SQL, [now, webhookId]);
}

/**
 * Safety net run now and then by workers: releases the oldest delivery of any fifo webhook
 * whose pending deliveries are all parked (say, its head was cancelled by hand).
 */
export function unstickFifo(db: SqlExecutor, now: number): Promise<number> {
  return db.run(
    `UPDATE delivery_queue SET next_attempt_at = ?
     WHERE delivery_id IN (SELECT min(p.delivery_id) FROM delivery_queue p WHERE p.fifo = 1
                           GROUP BY p.webhook_id HAVING count(p.next_attempt_at) = 0)`,
    [now],
  );
}

/**
 * A webhook stopped being fifo: its waiting deliveries become ordinary and due now. The
 * pending-work rows first, in the order a result takes its rows (no deadlock with one).
 */
export async function releaseFifo(db: SqlExecutor, webhookId: string, now: number): Promise<number> {
  const released = await db.all<{ delivery_id: string }>(
    `UPDATE delivery_queue SET fifo = 0, next_attempt_at = coalesce(next_attempt_at, ?) WHERE webhook_id = ? AND fifo = 1 RETURNING delivery_id`,
    [now, webhookId],
  );
  for (const ids of chunks(released.map((r) => r.delivery_id), 1000)) {
    await db.run(`UPDATE deliveries SET fifo = 0 WHERE id IN (${placeholders(ids.length)})`, ids);
  }
  return released.length;
}
