import { DIGEST_EVENT_TYPE, type DeliveryMode } from '../../model.js';
import type { SqlExecutor } from '../sql.js';
import { json, placeholders } from './rows.js';
import { OF_WEBHOOK, queueRowsOf } from './pending.js';
import { addDelivery, deliveryRow, emptyRowSet, type RowSet } from '../row-sets.js';
import { writeRowSet } from '../row-writer.js';
import type { EnvelopeSource } from '../../engine/envelope.js';

/** A webhook whose digest period (or straggler sweep) has ended. */
export interface DueDigest {
  id: string;
  org_id: string;
  delivery: DeliveryMode;
  next_digest_at: number;
  created_at: number;
}

/** A waiting member with its event, in the shape the envelope is built from. */
export type MemberRow = EnvelopeSource & { id: string };

export async function dueDigests(db: SqlExecutor, now: number, limit: number): Promise<DueDigest[]> {
  const rows = await db.all<Omit<DueDigest, 'delivery'> & { delivery: string }>(
    `SELECT id, org_id, delivery, next_digest_at, created_at FROM webhooks
     WHERE next_digest_at IS NOT NULL AND next_digest_at <= ? ORDER BY next_digest_at LIMIT ?`,
    [now, limit],
  );
  return rows.map((r) => ({ ...r, delivery: json<DeliveryMode>(r.delivery, { mode: 'immediate' }) }));
}

export async function earliestDigestAt(db: SqlExecutor): Promise<number | null> {
  const row = await db.get<{ t: number | null }>('SELECT min(next_digest_at) AS t FROM webhooks WHERE next_digest_at IS NOT NULL');
  return row?.t === null || row?.t === undefined ? null : Number(row.t);
}

/**
 * Claims a period: moves next_digest_at from the value read to the next one. Only one
 * process's update matches (on PostgreSQL the others wait on the row lock, then see the new
 * value), so only one builds the digest.
 */
export async function moveDigestAt(tx: SqlExecutor, webhookId: string, from: number, to: number | null): Promise<boolean> {
  return (await tx.run('UPDATE webhooks SET next_digest_at = ? WHERE id = ? AND next_digest_at = ?', [to, webhookId, from])) > 0;
}

/** Takes the webhook's row lock (an update that changes nothing): serialises with the scheduler and PATCH. */
export async function lockWebhookRow(tx: SqlExecutor, webhookId: string): Promise<boolean> {
  return (await tx.run('UPDATE webhooks SET next_digest_at = next_digest_at WHERE id = ?', [webhookId])) > 0;
}

/** Waiting members, oldest first (delivery ids are ULIDs: they sort by creation). */
export async function waitingMembers(tx: SqlExecutor, webhookId: string, limit: number): Promise<MemberRow[]> {
  return tx.all<MemberRow>(
    `SELECT d.id, e.type AS event_type, e.event_time, e.org_id, e.app_id, e.entity_type, e.entity_id, e.entity, e.modified_fields
     FROM deliveries d JOIN events e ON e.id = d.event_id
     WHERE d.webhook_id = ? AND d.digest_waiting = 1 ORDER BY d.id LIMIT ?`,
    [webhookId, limit],
  );
}

export interface NewDigest {
  deliveryId: string;
  eventId: string;
  orgId: string;
  webhookId: string;
  /** JSON array of the members' envelope sources. */
  entity: string;
  periodEnd: number;
  now: number;
  memberIds: readonly string[];
}

/** A digest's rows: its synthetic event (the members as its entity) and one pending delivery, claimed like any other. */
export function digestRows(d: NewDigest): RowSet {
  const rows = emptyRowSet();
  rows.events.push({
    id: d.eventId, org_id: d.orgId, app_id: null, type: DIGEST_EVENT_TYPE, entity_type: 'digest', entity_id: null, entity: d.entity,
    modified_fields: '[]', event_time: d.periodEnd, idempotency_key: null, request_hash: null, delivery_count: 1, created_at: d.now,
  });
  addDelivery(rows, deliveryRow({
    id: d.deliveryId, org_id: d.orgId, webhook_id: d.webhookId, event_id: d.eventId, status: 'pending', created_at: d.now,
  }), d.now);
  return rows;
}

/**
 * Writes one digest (digestRows) and the members' pointer to it. Throws (rolling the
 * transaction back) when a member changed under it, so no event is ever in a digest and sent
 * on its own as well.
 */
export async function insertDigest(tx: SqlExecutor, d: NewDigest): Promise<void> {
  await writeRowSet(tx, digestRows(d));
  const marked = await tx.run(
    `UPDATE deliveries SET digest_id = ?, digest_waiting = 0, updated_at = ?
     WHERE digest_waiting = 1 AND id IN (${placeholders(d.memberIds.length)})`,
    [d.deliveryId, d.now, ...d.memberIds],
  );
  if (marked !== d.memberIds.length) throw new Error(`digest ${d.deliveryId}: ${d.memberIds.length - marked} members changed meanwhile`);
  // The digest of a poll webhook goes to its consumer's queue, as its members would have.
  const pull = `EXISTS (SELECT 1 FROM deliveries m WHERE m.digest_id = ? AND m.pull = 1)`;
  await tx.run(`UPDATE deliveries SET pull = 1 WHERE id = ? AND ${pull}`, [d.deliveryId, d.deliveryId]);
  await tx.run(`UPDATE delivery_queue SET pull = 1 WHERE delivery_id = ? AND ${pull}`, [d.deliveryId, d.deliveryId]);
}

/** Turns a webhook's waiting members into ordinary pending deliveries (digest switched off). */
export async function releaseWaiting(tx: SqlExecutor, webhookId: string, now: number): Promise<number> {
  await tx.run(
    queueRowsOf('webhook_id = ? AND digest_waiting = 1'),
    [now, webhookId],
  );
  // Only those given a row above: a member an ingest adds meanwhile (PostgreSQL) keeps waiting for the straggler sweep.
  return tx.run(
    `UPDATE deliveries SET status = 'pending', digest_waiting = 0, updated_at = ?
     WHERE digest_waiting = 1 AND id IN (SELECT delivery_id FROM delivery_queue WHERE ${OF_WEBHOOK})`,
    [now, webhookId],
  );
}

/** Stores a webhook's delivery mode and its next period end (no revision bump: workers do not read it). */
export async function setDeliveryMode(tx: SqlExecutor, webhookId: string, delivery: DeliveryMode, nextDigestAt: number | null): Promise<void> {
  await tx.run('UPDATE webhooks SET delivery = ?, next_digest_at = ? WHERE id = ?', [JSON.stringify(delivery), nextDigestAt, webhookId]);
}
