import type { DeliveryStatus, StoredEvent } from '../../model.js';
import type { SqlExecutor } from '../sql.js';
import { idAt } from './retention.js';
import { toEvent } from './deliveries.js';
import { placeholders } from './rows.js';

export interface EventFilter {
  type?: string;
  appId?: string;
  /** Received at or after / before these times (ms): bounds on the id, which starts with its time. */
  since?: number;
  until?: number;
  /** Newest first: only ids before this cursor. */
  before?: string | null;
  limit: number;
}

/**
 * An org's events, newest first. Time bounds become id bounds (an event id is a ULID whose
 * first characters are its time), so the scan stays a range of events_org, or of
 * events_org_type when a type is named (migration 000012).
 */
export async function listEvents(db: SqlExecutor, orgId: string, f: EventFilter): Promise<StoredEvent[]> {
  const where = ['org_id = ?'];
  const params: unknown[] = [orgId];
  const add = (clause: string, value: unknown) => {
    where.push(clause);
    params.push(value);
  };
  if (f.type !== undefined) add('type = ?', f.type);
  if (f.appId !== undefined) add('app_id = ?', f.appId);
  if (f.since !== undefined) add('id >= ?', idAt('evt', f.since));
  if (f.until !== undefined) add('id < ?', idAt('evt', f.until));
  if (f.before) add('id < ?', f.before);
  params.push(f.limit);
  const rows = await db.all<Parameters<typeof toEvent>[0]>(`SELECT * FROM events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`, params);
  return rows.map(toEvent);
}

export type DeliveryCounts = Record<DeliveryStatus, number>;

export const noDeliveries = (): DeliveryCounts => ({ pending: 0, batched: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 });

/** Each event's deliveries counted by status (an index lookup per event: deliveries_event). */
export async function deliveryCounts(db: SqlExecutor, eventIds: readonly string[]): Promise<Map<string, DeliveryCounts>> {
  const out = new Map<string, DeliveryCounts>(eventIds.map((id) => [id, noDeliveries()]));
  if (eventIds.length === 0) return out;
  const rows = await db.all<{ event_id: string; status: DeliveryStatus; n: number | string }>(
    `SELECT event_id, status, count(*) AS n FROM deliveries WHERE event_id IN (${placeholders(eventIds.length)}) GROUP BY event_id, status`,
    eventIds,
  );
  for (const r of rows) {
    const counts = out.get(r.event_id);
    if (counts && r.status in counts) counts[r.status] = Number(r.n);
  }
  return out;
}
