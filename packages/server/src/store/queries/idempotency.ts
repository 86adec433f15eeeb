import type { SqlExecutor } from '../sql.js';
import { isUniqueViolation } from '../sql.js';

/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface IdempotencyRecord {
  request_hash: string;
  /** null while the first request runs. */
  status: number | null;
  response: string | null;
  created_at: number;
}

/** Reserves a key for a request about to run; false when the key is already held. */
export async function reserveIdempotencyKey(db: SqlExecutor, principal: string, key: string, requestHash: string, now: number): Promise<boolean> {
  try {
    await db.run('INSERT INTO idempotency_keys (principal, key, request_hash, created_at) VALUES (?, ?, ?, ?)', [principal, key, requestHash, now]);
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

export async function getIdempotencyRecord(db: SqlExecutor, principal: string, key: string): Promise<IdempotencyRecord | undefined> {
  const row = await db.get<IdempotencyRecord>('SELECT request_hash, status, response, created_at FROM idempotency_keys WHERE principal = ? AND key = ?', [principal, key]);
  return row && { ...row, status: row.status === null ? null : Number(row.status), created_at: Number(row.created_at) };
}

/** Keeps the first answer of a reserved key. */
export async function completeIdempotencyKey(db: SqlExecutor, principal: string, key: string, status: number, response: string): Promise<void> {
  await db.run('UPDATE idempotency_keys SET status = ?, response = ? WHERE principal = ? AND key = ?', [status, response, principal, key]);
}

/** Forgets a key (its request failed, or its record expired); only the record made at `createdAt` when given. */
export async function releaseIdempotencyKey(db: SqlExecutor, principal: string, key: string, createdAt?: number): Promise<void> {
  if (createdAt === undefined) await db.run('DELETE FROM idempotency_keys WHERE principal = ? AND key = ?', [principal, key]);
  else await db.run('DELETE FROM idempotency_keys WHERE principal = ? AND key = ? AND created_at = ?', [principal, key, createdAt]);
}

/** Deletes up to `limit` keys made before `cutoff`; answers how many. */
export async function purgeIdempotencyKeys(db: SqlExecutor, cutoff: number, limit: number): Promise<number> {
  return db.run(
    `DELETE FROM idempotency_keys WHERE (principal, key) IN (
       SELECT principal, key FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)`,
    [cutoff, limit],
  );
}
