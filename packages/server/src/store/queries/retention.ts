import { encodeTime } from 'ulid';
import type { IdPrefix } from '../../ids.js';
import type { SqlExecutor } from '../sql.js';
import { placeholders } from './rows.js';

/**
 * The smallest id of a given kind made at `at` (ms): every id made earlier sorts below it,
 * since ids are the prefix and a ULID whose first ten characters are its time.
 */
export const idAt = (prefix: IdPrefix, at: number): string => `${prefix}_${encodeTime(Math.max(0, at), 10).toLowerCase()}`;

const FINISHED = `('succeeded', 'failed', 'skipped', 'cancelled')`;

/**
 * The purge statements, as they run (test/retention-plan.test.ts reads their query plans on
 * both stores: each is an index range, never a table scan).
 */
export const PURGE_SQL = {
  /** An org's deliveries made before a time, in id order after one. Params: org, after, id bound, limit. */
  oldDeliveries: 'SELECT id FROM deliveries WHERE org_id = ? AND id > ? AND id < ? ORDER BY id LIMIT ?',
  /** The attempts of `n` deliveries made before a time: a range of the key (delivery_id, id). Params: ids…, id bound. */
  attemptsOf: (n: number) => `DELETE FROM attempts WHERE delivery_id IN (${placeholders(n)}) AND id < ?`,
  /** Params: org, id bound, cutoff, limit. */
  deliveries: `DELETE FROM deliveries WHERE id IN (
       SELECT d.id FROM deliveries d WHERE d.org_id = ? AND d.id < ? AND d.updated_at < ?
         AND (d.status IN ${FINISHED}
              OR (d.status = 'batched' AND d.digest_id IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM deliveries g WHERE g.id = d.digest_id AND g.status IN ('pending', 'batched'))))
       LIMIT ?)`,
  /** Params: org, id bound, limit. */
  events: `DELETE FROM events WHERE id IN (
       SELECT e.id FROM events e WHERE e.org_id = ? AND e.id < ?
         AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
       LIMIT ?)`,
} as const;

/** One step of the attempts purge: how many went, and where the next step starts (null: done). */
export interface AttemptsPurgeStep {
  deleted: number;
  next: string | null;
}

/**
 * Deletes an org's attempts made before `cutoff`, reached through its deliveries: up to `limit`
 * of those made before `cutoff` (an attempt is made after its delivery), in id order after
 * `after`, then each one's old attempts, a range of the attempts key (delivery_id, id). No
 * index of attempts by org is kept (an entry fewer per attempt, migration 000016). The walk
 * covers every old delivery once per pass, purged or kept (a pending one, say).
 */
export async function purgeAttempts(db: SqlExecutor, orgId: string, cutoff: number, limit: number, after = ''): Promise<AttemptsPurgeStep> {
  const walked = await db.all<{ id: string }>(PURGE_SQL.oldDeliveries, [orgId, after, idAt('msg', cutoff), limit]);
  if (walked.length === 0) return { deleted: 0, next: null };
  const ids = walked.map((d) => d.id);
  const deleted = await db.run(PURGE_SQL.attemptsOf(ids.length), [...ids, idAt('att', cutoff)]);
  return { deleted, next: walked.length < limit ? null : ids[ids.length - 1]! };
}

/**
 * Deletes up to `limit` of an org's deliveries created and last changed before `cutoff` that
 * are finished (a pending one is never purged), with digest members whose digest is.
 */
export async function purgeDeliveries(db: SqlExecutor, orgId: string, cutoff: number, limit: number): Promise<number> {
  return db.run(PURGE_SQL.deliveries, [orgId, idAt('msg', cutoff), cutoff, limit]);
}

/** Deletes up to `limit` of an org's events made before `cutoff` that no delivery refers to any more. */
export async function purgeEvents(db: SqlExecutor, orgId: string, cutoff: number, limit: number): Promise<number> {
  return db.run(PURGE_SQL.events, [orgId, idAt('evt', cutoff), limit]);
}

/** Deletes up to `limit` of an org's alert mail and operational-event records that are done and older than `cutoff`. */
export async function purgeAlertRecords(db: SqlExecutor, orgId: string, cutoff: number, limit: number): Promise<number> {
  const mail = await db.run(
    `DELETE FROM mail_outbox WHERE id IN (
       SELECT id FROM mail_outbox WHERE org_id = ? AND created_at < ? AND status <> 'pending' LIMIT ?)`,
    [orgId, cutoff, limit],
  );
  const events = await db.run(
    `DELETE FROM operational_events WHERE id IN (
       SELECT id FROM operational_events WHERE org_id = ? AND created_at < ? AND done_at IS NOT NULL LIMIT ?)`,
    [orgId, cutoff, limit],
  );
  return mail + events;
}
