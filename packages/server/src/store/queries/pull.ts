/**
 * Pull delivery (destination `poll`, docs/destinations.md): the deliveries of a poll webhook
 * carry pull = 1. The delivery worker's claim never sees them (its indexes hold pull = 0
 * only); the webhook's consumer leases them through the API instead, with the hot path's own
 * lease and fence: a claim sets lease_token and next_attempt_at = lease end, and complete()
 * writes a result only while the token still holds. An unanswered lease simply ends: the
 * delivery is due again and the next poll takes it.
 */
import type { SqlExecutor } from '../sql.js';
import type { ClaimedDelivery } from '../types.js';
import { fifoInOrder } from './fifo.js';

/** A poll webhook's due deliveries, oldest first (deliveries_pull_due). Params: webhook id, now, limit. */
export const PULL_DUE_SQL = `
  SELECT d.id FROM deliveries d
  WHERE d.webhook_id = ? AND d.status = 'pending' AND d.pull = 1 AND d.next_attempt_at <= ? AND ${fifoInOrder('d')}
  ORDER BY d.next_attempt_at LIMIT ?`;

/** The columns of a claimed delivery, for rows `d` (deliveries) joined to `e` (events) and `w` (webhooks). */
export const CLAIMED_COLUMNS = `d.id, d.org_id, d.webhook_id, d.attempts, d.is_test, d.fifo, d.lease_token, d.event_id,
  w.revision AS webhook_revision, w.state AS webhook_state,
  e.type AS event_type, e.app_id, e.entity_type, e.entity_id, e.entity, e.modified_fields, e.event_time`;

/** When the webhook's next pull delivery is due (or its earliest lease ends); null when it has none pending. */
export async function nextPullDueAt(db: SqlExecutor, webhookId: string): Promise<number | null> {
  const row = await db.get<{ t: number | string | null }>(
    `SELECT min(next_attempt_at) AS t FROM deliveries WHERE webhook_id = ? AND status = 'pending' AND pull = 1`,
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
    `SELECT ${CLAIMED_COLUMNS}, d.status, d.pull FROM deliveries d JOIN events e ON e.id = d.event_id LEFT JOIN webhooks w ON w.id = d.webhook_id
     WHERE d.webhook_id = ? AND d.id IN (${ids.map(() => '?').join(', ')})`,
    [webhookId, ...ids],
  );
  return rows.map((r) => ({ ...r, is_test: Boolean(r.is_test), fifo: Boolean(r.fifo), pull: Number(r.pull), attempts: Number(r.attempts) }));
}

/**
 * A webhook's destination became `poll` (pull = 1) or stopped being it (pull = 0): its
 * deliveries not yet finished move to the consumer's queue or back to the worker's.
 */
export function setPull(db: SqlExecutor, webhookId: string, pull: boolean): Promise<number> {
  const v = pull ? 1 : 0;
  return db.run(`UPDATE deliveries SET pull = ? WHERE webhook_id = ? AND pull <> ?`, [v, webhookId, v]);
}
