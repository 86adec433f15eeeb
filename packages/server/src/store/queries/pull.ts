/**
 * Pull delivery (destination `poll`, docs/destinations.md): the deliveries of a poll webhook
 * carry pull = 1. The delivery worker's claim never sees them (it reads pull = 0 only); the
 * webhook's consumer leases them through the API instead, with the hot path's own lease and
 * fence: a claim sets the pending-work row's (delivery_queue) lease_token and next_attempt_at =
 * lease end, and complete() writes a result only while the token still holds. An unanswered lease simply ends: the
 * delivery is due again and the next poll takes it.
 */
import type { SqlExecutor } from '../sql.js';
import type { ClaimedDelivery } from '../types.js';
import { fifoInOrder } from './fifo.js';

/** A poll webhook's due deliveries, oldest first (delivery_queue_webhook). Params: webhook id, now, limit. */
export const PULL_DUE_SQL = `
  SELECT q.delivery_id AS id FROM delivery_queue q
  WHERE q.pull = 1 AND q.webhook_id = ? AND q.next_attempt_at <= ? AND ${fifoInOrder('q')}
  ORDER BY q.pull, q.webhook_id, q.next_attempt_at LIMIT ?`;

/**
 * The columns of a claimed delivery, for rows `d` (deliveries) joined to `q` (its pending-work
 * row, delivery_queue), `e` (events) and `w` (webhooks).
 */
export const CLAIMED_COLUMNS = `d.id, d.org_id, d.webhook_id, d.attempts, d.is_test, q.fifo, q.lease_token, d.event_id,
  w.revision AS webhook_revision, w.state AS webhook_state,
  e.type AS event_type, e.app_id, e.entity_type, e.entity_id, e.entity, e.modified_fields, e.event_time`;

/** When the webhook's next pull delivery is due (or its earliest lease ends); null when it has none pending. */
export async function nextPullDueAt(db: SqlExecutor, webhookId: string): Promise<number | null> {
  const row = await db.get<{ t: number | string | null }>(
    `SELECT min(next_attempt_at) AS t FROM delivery_queue WHERE pull = 1 AND webhook_id = ?`,
    [webhookId],
  );
  return row?.t === null || row?.t === undefined ? null : Number(row.t);
}

/**
 * The deliveries of webhook `webhookId` among `ids` as a claim answers them, with the lease
 * token each holds now (null: not leased). Ack compares that token with the one it was given.
 */
export async function pulledDeliveries(db: SqlExecutor, webhookId: string, ids: readonly string[]): Promise<(ClaimedDelivery & { status: string; pull: number })[]> {
  if (ids.length === 0) return [];
  const rows = await db.all<ClaimedDelivery & { status: string; pull: number | string }>(
    `SELECT ${CLAIMED_COLUMNS}, d.status, coalesce(q.pull, d.pull) AS pull FROM deliveries d LEFT JOIN delivery_queue q ON q.delivery_id = d.id
       JOIN events e ON e.id = d.event_id LEFT JOIN webhooks w ON w.id = d.webhook_id
     WHERE d.webhook_id = ? AND d.id IN (${ids.map(() => '?').join(', ')})`,
    [webhookId, ...ids],
  );
  return rows.map((r) => ({ ...r, is_test: Boolean(r.is_test), fifo: Boolean(r.fifo), pull: Number(r.pull), attempts: Number(r.attempts) }));
}

/**
 * A webhook's destination became `poll` (pull = 1) or stopped being it (pull = 0): its
 * deliveries not yet finished move to the consumer's queue or back to the worker's.
 */
export async function setPull(db: SqlExecutor, webhookId: string, pull: boolean): Promise<number> {
  const [to, from] = pull ? [1, 0] : [0, 1];
  // The pending-work rows first, in the order a result takes its rows (no deadlock with one);
  // then the wide rows: a skipped or batched delivery released later goes where its webhook's now do.
  const moved = await db.run(`UPDATE delivery_queue SET pull = ${to} WHERE pull = ${from} AND webhook_id = ?`, [webhookId]);
  await db.run(`UPDATE deliveries SET pull = ? WHERE webhook_id = ? AND pull = ?`, [to, webhookId, from]);
  return moved;
}
