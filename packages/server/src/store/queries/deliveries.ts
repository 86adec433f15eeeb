import type { Attempt, AttemptErrorCode, Delivery, DeliveryStatus, StoredEvent } from '../../model.js';
import type { SqlDatabase, SqlExecutor } from '../sql.js';
import { unpackRequestHeaders } from '../request-headers.js';
import { queueRowsOf } from './pending.js';
import { flag, json } from './rows.js';

type DeliveryRow = Omit<Delivery, 'is_test'> & { is_test: number };
const toDelivery = (r: DeliveryRow): Delivery => ({ ...r, is_test: flag(r.is_test) });

type AttemptRow = Omit<Attempt, 'request_headers' | 'response_headers' | 'response_truncated' | 'is_test' | 'error_code'> & {
  request_headers: string;
  response_headers: string | null;
  response_truncated: number;
  is_test: number;
  error_code: string | null;
};
const toAttempt = (r: AttemptRow): Attempt => ({
  ...r,
  error_code: r.error_code as AttemptErrorCode | null,
  request_headers: unpackRequestHeaders(r.request_headers, r.delivery_id),
  response_headers: json<Record<string, string> | null>(r.response_headers, null),
  response_truncated: flag(r.response_truncated),
  is_test: flag(r.is_test),
});

type EventRow = Omit<StoredEvent, 'modified_fields'> & { modified_fields: string };
export const toEvent = (r: EventRow): StoredEvent => ({ ...r, modified_fields: json<string[]>(r.modified_fields, []) });

// A digest member's fate is its digest's: read that delivery's status beside it. A pending
// delivery's next attempt time is on its pending-work row (delivery_queue).
const DELIVERY_COLUMNS =
  'id, org_id, webhook_id, event_id, status, attempts, is_test, created_at, updated_at, last_attempt_at, last_status_code, last_error, ' +
  '(SELECT q.next_attempt_at FROM delivery_queue q WHERE q.delivery_id = deliveries.id) AS next_attempt_at, ' +
  'digest_id, (SELECT g.status FROM deliveries g WHERE g.id = deliveries.digest_id) AS digest_status, ' +
  '(SELECT e.type FROM events e WHERE e.id = deliveries.event_id) AS event_type';

export interface DeliveryFilter {
  webhookId?: string;
  eventId?: string;
  status?: DeliveryStatus;
  /** Members of this digest delivery. */
  digestId?: string;
  /** Deliveries of events of this type. */
  eventType?: string;
  /** Created at or after / before these times (ms). */
  since?: number;
  until?: number;
  /** Newest first: only ids before this cursor. */
  before?: string;
  limit: number;
}

export async function listDeliveries(db: SqlExecutor, orgId: string, f: DeliveryFilter): Promise<Delivery[]> {
  const where = ['org_id = ?'];
  const params: unknown[] = [orgId];
  const add = (clause: string, value: unknown) => {
    where.push(clause);
    params.push(value);
  };
  if (f.webhookId) add('webhook_id = ?', f.webhookId);
  if (f.eventId) add('event_id = ?', f.eventId);
  if (f.status) add('status = ?', f.status);
  if (f.digestId) add('digest_id = ?', f.digestId);
  if (f.eventType) add('EXISTS (SELECT 1 FROM events e WHERE e.id = deliveries.event_id AND e.type = ?)', f.eventType);
  if (f.since !== undefined) add('created_at >= ?', f.since);
  if (f.until !== undefined) add('created_at < ?', f.until);
  if (f.before) add('id < ?', f.before);
  params.push(f.limit);
  const rows = await db.all<DeliveryRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
    params,
  );
  return rows.map(toDelivery);
}

export async function getDelivery(db: SqlExecutor, orgId: string, id: string): Promise<Delivery | undefined> {
  const row = await db.get<DeliveryRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE org_id = ? AND id = ?`, [orgId, id]);
  return row && toDelivery(row);
}

/** True while a worker holds the delivery (its lease has not run out). */
export async function isLeased(db: SqlExecutor, id: string, now: number): Promise<boolean> {
  const row = await db.get<{ n: number }>(
    `SELECT count(*) AS n FROM delivery_queue WHERE delivery_id = ? AND lease_token IS NOT NULL AND next_attempt_at > ?`,
    [id, now],
  );
  return Number(row?.n ?? 0) > 0;
}

export async function listAttempts(db: SqlExecutor, deliveryId: string): Promise<Attempt[]> {
  const rows = await db.all<AttemptRow>('SELECT * FROM attempts WHERE delivery_id = ? ORDER BY id', [deliveryId]);
  return rows.map(toAttempt);
}

export async function getEvent(db: SqlExecutor, orgId: string, id: string): Promise<StoredEvent | undefined> {
  const row = await db.get<EventRow>('SELECT * FROM events WHERE org_id = ? AND id = ?', [orgId, id]);
  return row && toEvent(row);
}

/**
 * Queues a delivery for another attempt now, whatever its status (resend). Not while a
 * worker holds it: the caller checks isLeased first, and the lease test of the upsert closes
 * the race. A pending delivery's pending-work row is made due now; any other gets one, and
 * its status becomes pending in the same transaction.
 */
export async function requeueDelivery(db: SqlDatabase, orgId: string, id: string, now: number): Promise<boolean> {
  return db.transaction(async (tx) => {
    const n = await tx.run(
      `${queueRowsOf('org_id = ? AND id = ?')}
       ON CONFLICT (delivery_id) DO UPDATE SET next_attempt_at = excluded.next_attempt_at, lease_token = NULL
       WHERE delivery_queue.lease_token IS NULL OR delivery_queue.next_attempt_at <= ?`,
      [now, orgId, id, now],
    );
    if (n === 0) return false;
    await tx.run(`UPDATE deliveries SET status = 'pending', digest_waiting = 0, updated_at = ? WHERE id = ?`, [now, id]);
    return true;
  });
}
