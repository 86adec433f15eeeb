import type { SqlExecutor } from '../sql.js';

/**
 * FIFO webhooks: one delivery at a time, oldest first. The oldest pending delivery of such a
 * webhook (in flight, or waiting for a retry) is its head; every younger pending one waits
 * parked with next_attempt_at NULL, which no claim and no due-time lookup ever sees.
 * The claim statements also skip any fifo delivery with an older pending one, so two heads
 * (two ingests at once on PostgreSQL, or a resend of an old delivery) still go in order.
 */

/** Parks every pending fifo delivery of a webhook but its oldest (after an ingest added some). Params: webhook id twice. */
export const PARK_FIFO_SQL = `UPDATE deliveries SET next_attempt_at = NULL
  WHERE webhook_id = ? AND status = 'pending' AND fifo = 1 AND lease_token IS NULL AND next_attempt_at IS NOT NULL
    AND id > (SELECT min(h.id) FROM deliveries h WHERE h.webhook_id = ? AND h.status = 'pending' AND h.fifo = 1)`;

/** Releases a webhook's next fifo delivery when its oldest pending one is parked (its head finished). Params: now, webhook id. */
export const PROMOTE_FIFO_SQL = `UPDATE deliveries SET next_attempt_at = ?
  WHERE id = (SELECT n.id FROM deliveries n WHERE n.webhook_id = ? AND n.status = 'pending' AND n.fifo = 1 ORDER BY n.id LIMIT 1)
    AND next_attempt_at IS NULL`;

/** The claim condition that keeps fifo deliveries in order, for a row aliased `alias`. */
export const fifoInOrder = (alias: string) =>
  `(${alias}.fifo = 0 OR NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.webhook_id = ${alias}.webhook_id AND o.status = 'pending' AND o.fifo = 1 AND o.id < ${alias}.id))`;

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
    `UPDATE deliveries SET next_attempt_at = ?
     WHERE id IN (SELECT min(p.id) FROM deliveries p WHERE p.status = 'pending' AND p.fifo = 1
                  GROUP BY p.webhook_id HAVING count(p.next_attempt_at) = 0)`,
    [now],
  );
}

/** A webhook stopped being fifo: its waiting deliveries become ordinary and due now. */
export function releaseFifo(db: SqlExecutor, webhookId: string, now: number): Promise<number> {
  return db.run(
    `UPDATE deliveries SET fifo = 0, next_attempt_at = coalesce(next_attempt_at, ?)
     WHERE webhook_id = ? AND status = 'pending' AND fifo = 1`,
    [now, webhookId],
  );
}
