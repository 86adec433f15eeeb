import type { Attempt } from '../../model.js';
import type { SqlDatabase, SqlExecutor } from '../sql.js';
import { queueRowsOf } from './pending.js';
import { placeholders } from './rows.js';
import type { NewEvent } from '../types.js';
import { addDelivery, attemptRow, deliveryRow, emptyRowSet, eventRow, type RowSet } from '../row-sets.js';
import { writeRowSet } from '../row-writer.js';
import { aggregateWebhookStats } from '../webhook-stats.js';

/**
 * The rows of a delivery sent directly (a test send or a synchronous call): its event, the
 * finished delivery and its one attempt. `countsForHealth` adds the attempt to the webhook's
 * health counters exactly as a worker's attempt would be (synchronous calls do; test sends,
 * like every test attempt, do not).
 */
export function directRows(e: NewEvent, deliveryId: string, a: Attempt, isTest: boolean, countsForHealth: boolean): RowSet {
  const rows = emptyRowSet();
  // A direct send is not idempotent: no key is kept.
  rows.events.push(eventRow({ ...e, idempotency_key: null, request_hash: null }, 1));
  rows.deliveries.push(deliveryRow({
    id: deliveryId, org_id: e.org_id, webhook_id: a.webhook_id, event_id: e.id, status: a.outcome === 'success' ? 'succeeded' : 'failed',
    attempts: 1, is_test: isTest ? 1 : 0, created_at: e.created_at,
    last_attempt_at: a.started_at, last_status_code: a.status_code, last_error: a.error_message,
  }));
  rows.attempts.push(attemptRow({ ...a, is_test: isTest }));
  if (countsForHealth) rows.stats = aggregateWebhookStats([{ attempt: { ...a, is_test: false } }]);
  return rows;
}

/**
 * A test send to a poll webhook: its event and a pending delivery in the consumer's queue
 * (pull = 1), due now; the consumer's ack records the attempt (queries/pull.ts).
 */
export function queueTestDelivery(tx: SqlExecutor, e: NewEvent, deliveryId: string, webhookId: string): Promise<void> {
  const rows = emptyRowSet();
  // A direct send is not idempotent: no key is kept.
  rows.events.push(eventRow({ ...e, idempotency_key: null, request_hash: null }, 1));
  addDelivery(rows, deliveryRow({
    id: deliveryId, org_id: e.org_id, webhook_id: webhookId, event_id: e.id, status: 'pending',
    is_test: 1, pull: 1, created_at: e.created_at,
  }), e.created_at);
  return writeRowSet(tx, rows);
}

/** Records a direct send (directRows) in one transaction the caller holds. */
export function recordDirectDelivery(tx: SqlExecutor, e: NewEvent, deliveryId: string, a: Attempt, isTest: boolean, countsForHealth: boolean): Promise<void> {
  return writeRowSet(tx, directRows(e, deliveryId, a, isTest, countsForHealth));
}

/**
 * Re-queues a webhook's failed and skipped deliveries created in [since, until), at most
 * `limit` per call (the caller loops: bounded statements on a big log), each with a
 * pending-work row due now, in one transaction. Answers how many.
 */
export async function requeueBatch(
  db: SqlDatabase,
  webhookId: string,
  statuses: readonly string[],
  since: number,
  until: number,
  limit: number,
  now: number,
): Promise<number> {
  const marks = placeholders(statuses.length);
  return db.transaction(async (tx) => {
    // The status test is repeated outside the subquery: PostgreSQL checks it again on a row another recovery changed meanwhile.
    const ids = (await tx.all<{ id: string }>(
      `UPDATE deliveries SET status = 'pending', digest_waiting = 0, updated_at = ?
       WHERE status IN (${marks}) AND id IN (SELECT id FROM deliveries WHERE webhook_id = ? AND status IN (${marks}) AND created_at >= ? AND created_at < ?
                    ORDER BY id LIMIT ?)
       RETURNING id`,
      [now, ...statuses, webhookId, ...statuses, since, until, limit],
    )).map((r) => r.id);
    if (ids.length === 0) return 0;
    await tx.run(
      `${queueRowsOf(`id IN (${placeholders(ids.length)})`)} ON CONFLICT (delivery_id) DO NOTHING`,
      [now, ...ids],
    );
    return ids.length;
  });
}
