import type { Attempt } from '../../model.js';
import type { SqlExecutor } from '../sql.js';
import type { NewEvent } from '../types.js';

/**
 * Records a delivery that was sent directly (a test send or a synchronous call), with its one
 * attempt, in one transaction. `countsForHealth` also updates the webhook's failure counters,
 * as any delivery attempt would (synchronous calls do; test sends do not).
 */
export async function recordDirectDelivery(
  tx: SqlExecutor,
  e: NewEvent,
  deliveryId: string,
  a: Attempt,
  isTest: boolean,
  countsForHealth: boolean,
): Promise<void> {
  await tx.run(
    `INSERT INTO events (id, org_id, app_id, type, entity_type, entity_id, entity, modified_fields, event_time, idempotency_key,
       request_hash, delivery_count, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, 1, ?)`,
    [e.id, e.org_id, e.app_id, e.type, e.entity_type, e.entity_id, e.entity, JSON.stringify(e.modified_fields), e.event_time, e.created_at],
  );
  await tx.run(
    `INSERT INTO deliveries (id, org_id, webhook_id, event_id, status, attempts, next_attempt_at, is_test, created_at, updated_at,
       last_attempt_at, last_status_code, last_error) VALUES (?, ?, ?, ?, ?, 1, NULL, ?, ?, ?, ?, ?, ?)`,
    [deliveryId, e.org_id, a.webhook_id, e.id, a.outcome === 'success' ? 'succeeded' : 'failed', isTest ? 1 : 0, e.created_at,
      e.created_at, a.started_at, a.status_code, a.error_message],
  );
  await tx.run(
    `INSERT INTO attempts (id, delivery_id, webhook_id, org_id, attempt, started_at, duration_ms, outcome, status_code, error_code,
       error_message, request_headers, response_headers, response_body, response_truncated, is_test)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [a.id, a.delivery_id, a.webhook_id, a.org_id, a.attempt, a.started_at, a.duration_ms, a.outcome, a.status_code, a.error_code,
      a.error_message, JSON.stringify(a.request_headers), a.response_headers === null ? null : JSON.stringify(a.response_headers),
      a.response_body, a.response_truncated ? 1 : 0, isTest ? 1 : 0],
  );
  if (!countsForHealth) return;
  const ok = a.outcome === 'success';
  await tx.run(
    `UPDATE webhooks SET
       last_triggered_at = CASE WHEN coalesce(last_triggered_at, 0) < ? THEN ? ELSE last_triggered_at END,
       last_success_at = CASE WHEN ? = 1 THEN ? ELSE last_success_at END,
       last_failure_at = CASE WHEN ? = 0 THEN ? ELSE last_failure_at END,
       consecutive_failures = CASE WHEN ? = 1 THEN 0 ELSE consecutive_failures + 1 END,
       successes_total = successes_total + ?, failures_total = failures_total + ?
     WHERE id = ?`,
    [a.started_at, a.started_at, ok ? 1 : 0, a.started_at, ok ? 1 : 0, a.started_at, ok ? 1 : 0, ok ? 1 : 0, ok ? 0 : 1, a.webhook_id],
  );
}

/**
 * Re-queues a webhook's failed and skipped deliveries created in [since, until), at most
 * `limit` per call (the caller loops: bounded statements on a big log). Answers how many.
 */
export async function requeueBatch(
  db: SqlExecutor,
  webhookId: string,
  statuses: readonly string[],
  since: number,
  until: number,
  limit: number,
  now: number,
): Promise<number> {
  const marks = statuses.map(() => '?').join(', ');
  return db.run(
    `UPDATE deliveries SET status = 'pending', next_attempt_at = ?, lease_token = NULL, updated_at = ?
     WHERE id IN (SELECT id FROM deliveries WHERE webhook_id = ? AND status IN (${marks}) AND created_at >= ? AND created_at < ?
                  ORDER BY id LIMIT ?)`,
    [now, now, webhookId, ...statuses, since, until, limit],
  );
}
