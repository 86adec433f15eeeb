/** Rows for tests that drive the store directly (store-contract.test.ts). */
import { newId } from '../../src/ids.js';
import type { Attempt, Webhook } from '../../src/model.js';
import { insertWebhook } from '../../src/store/queries/webhooks.js';
import type { SqlExecutor } from '../../src/store/sql.js';
import type { Store } from '../../src/store/store.js';
import type { FreshLease } from '../../src/engine/fresh-deliveries.js';
import type { DeliveryResult, NewEvent } from '../../src/store/types.js';

export function event(org: string, type: string, key: string | null = null, hash: string | null = null, entity = '{"a":1}'): NewEvent {
  const now = Date.now();
  return {
    id: newId('evt'), org_id: org, app_id: null, type, entity_type: 'thing', entity_id: null, entity,
    modified_fields: [], event_time: now, idempotency_key: key, request_hash: hash, created_at: now,
  };
}

export function attemptFor(deliveryId: string, webhookId: string, outcome: 'success' | 'failure', statusCode?: number): Attempt {
  return {
    id: newId('att'), delivery_id: deliveryId, webhook_id: webhookId, org_id: 'o', attempt: 1, started_at: Date.now(),
    duration_ms: 3, outcome, status_code: statusCode ?? (outcome === 'success' ? 200 : 500), error_code: outcome === 'success' ? null : 'status',
    error_message: null, request_headers: { a: 'b' }, response_headers: {}, response_body: 'ok', response_truncated: false, is_test: false,
  };
}

/** A finished attempt's result for a claimed delivery. */
export function result(
  d: { id: string; webhook_id: string },
  token: string,
  status: DeliveryResult['status'],
  extra: Partial<DeliveryResult> = {},
): DeliveryResult {
  return {
    delivery_id: d.id, webhook_id: d.webhook_id, lease_token: token, status, next_attempt_at: null,
    attempt: attemptFor(d.id, d.webhook_id, status === 'succeeded' ? 'success' : 'failure'), ...extra,
  };
}

/**
 * A worker's room for one ingest's fresh deliveries (engine/fresh-deliveries.ts) that takes the
 * first `room` offered: `offered` lists the webhook of each delivery offered, `taken` the ids taken.
 */
export function testLease(token: string, until: number, room: number): FreshLease & { offered: string[]; taken: string[] } {
  const offered: string[] = [];
  const taken: string[] = [];
  return {
    token, until, offered, taken,
    take: (webhookId, deliveryId) => {
      offered.push(webhookId);
      if (taken.length >= room) return false;
      taken.push(deliveryId);
      return true;
    },
    sent: () => {},
    cancel: () => {},
  };
}

/** Stores an enabled webhook of org `o` subscribed to `events`. */
export async function addWebhook(db: SqlExecutor, id: string, events: string[], overrides: Partial<Webhook> = {}): Promise<void> {
  const now = Date.now();
  await insertWebhook(db, {
    id, org_id: 'o', url: 'http://127.0.0.1:1/', description: '', events, apps: null, state: 'enabled',
    state_reason: null, preset: 'standard', signature: { scheme: 'standard' }, policy: {}, filter: null, payload_mode: 'envelope',
    delivery: { mode: 'immediate' }, next_digest_at: null, alert_emails: [], metadata: {}, created_by: null, modified_by: null, revision: 1,
    created_at: now, updated_at: now, last_triggered_at: null, last_success_at: null, last_failure_at: null, consecutive_failures: 0,
    failures_total: 0, successes_total: 0, ...overrides,
  });
}

/**
 * Every earlier test's pending deliveries out of the way: marked `status` (succeeded unless
 * told), with their pending-work rows (delivery_queue) gone, as a completion leaves them.
 */
export async function settlePending(db: SqlExecutor, status = 'succeeded', where = 'TRUE'): Promise<void> {
  await db.run(`UPDATE deliveries SET status = ? WHERE id IN (SELECT delivery_id FROM delivery_queue WHERE ${where})`, [status]);
  await db.run(`DELETE FROM delivery_queue WHERE ${where}`);
}

/**
 * The store as it is, except for the hot-path methods in `overrides` (each may call the real
 * one through `store.hot`): how a test counts or refuses what the worker asks of the store.
 */
export function overHotPath(store: Store, overrides: Partial<Store['hot']>): Store {
  return Object.create(store, { hot: { value: Object.assign(Object.create(store.hot) as Store['hot'], overrides) } }) as Store;
}
