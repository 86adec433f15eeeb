import { systemClock, type Clock } from '../background/clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { buildBody } from '../engine/envelope.js';
import type { DestinationPool } from '../engine/destination-pool.js';
import { runAttempt } from '../engine/run-attempt.js';
import { buildRuntime, openClientIdentity, openKeys } from '../engine/webhook-runtime.js';
import { HeraldError } from '../errors.js';
import { newId } from '../ids.js';
import type { HttpSender } from '../outbound/http-sender.js';
import { queueTestDelivery, recordDirectDelivery } from '../store/queries/direct.js';
import { getEventType } from '../store/queries/event-types.js';
import { listKeys } from '../store/queries/webhooks.js';
import type { SqlDatabase } from '../store/sql.js';
import type { NewEvent } from '../store/types.js';
import { isReservedEventName } from './events.js';
import { loadWebhook } from './webhooks.js';

/**
 * Sends one event to one webhook now, whatever its state or subscriptions (drafts included):
 * - `test`: the envelope says `is_test`; logged as a test delivery (seeds 003, 004).
 * - `trial`: a real run whose exchange is answered and nothing is written (seed 001).
 * - `call`: a synchronous call that returns the endpoint's answer (seed 000's form
 *   controller); logged, and counted in the webhook's health like any attempt.
 */
export type DirectMode = 'test' | 'trial' | 'call';

export interface DirectInput {
  event: string;
  entity?: unknown;
  app_id?: string;
  modified_fields?: string[];
  timeout_ms?: number;
}

/** Seed 000: the endpoint must answer a synchronous bot call within 10 seconds. */
export const CALL_TIMEOUT_MS = 10_000;

/** What a direct send needs: it runs where the engine runs (the engine thread by default). */
export interface DirectDeps {
  db: SqlDatabase;
  box: SecretBox;
  sender: HttpSender;
  /** The engine's broker connections, shared with its worker. */
  destinations: DestinationPool;
  /** A test send to a poll webhook was queued: wake its consumer's long poll. */
  queued?: () => void;
  /** The time the event and its attempt are stamped with (tests: a clock moved by hand). */
  clock?: Clock | undefined;
}

/** One direct send, as it crosses from the API to the engine. */
export interface DirectRequest {
  orgId: string;
  webhookId: string;
  input: DirectInput;
  mode: DirectMode;
}

export type DirectOutcome = Awaited<ReturnType<typeof sendDirect>>;

/**
 * A poll webhook has no endpoint to answer now: a test send goes to its consumer's queue
 * (the attempt is recorded when the consumer acks); a trial run or a call is refused. The
 * answer says so (`queued`), with no request: nothing went out, and the consumer's copy is
 * signed when its poll leases it.
 */
async function queueForConsumer(deps: DirectDeps, event: NewEvent, deliveryId: string, webhookId: string, mode: DirectMode) {
  if (mode !== 'test') {
    throw new HeraldError('HERALD_WEBHOOK_IS_POLL', [webhookId, `a ${mode === 'trial' ? 'trial run' : 'synchronous call'} needs an endpoint that answers now; a test send reaches the poll queue`]);
  }
  await deps.db.transaction((tx) => queueTestDelivery(tx, event, deliveryId, webhookId));
  deps.queued?.();
  return {
    succeeded: false, queued: true, logged: true, delivery_id: deliveryId, event_id: event.id,
    request: null, response: null, error: null, duration_ms: 0,
  };
}

export async function sendDirect(deps: DirectDeps, { orgId, webhookId, input, mode }: DirectRequest) {
  if (isReservedEventName(input.event)) {
    throw new HeraldError('HERALD_BAD_REQUEST', ['event names starting with "herald." are Herald\'s own (digests)']);
  }
  const { db } = deps;
  const w = await loadWebhook(db, orgId, webhookId);
  const keys = await listKeys(db, [w.id]);
  const rt = buildRuntime(w, openKeys(deps.box, w.id, keys.map((k) => k.sealed)), openClientIdentity(deps.box, w), deps.destinations);
  let entity = input.entity;
  if (entity === undefined) {
    const type = await getEventType(db, input.event);
    if (!type) throw new HeraldError('HERALD_EVENT_TYPE_NOT_FOUND', [input.event], { hint: 'send an entity, or register the event type with an example' });
    entity = type.example ?? {};
  }
  const clock = deps.clock ?? systemClock;
  const now = clock.now();
  const event: NewEvent = {
    id: newId('evt', now), org_id: orgId, app_id: input.app_id ?? null, type: input.event,
    entity_type: input.event.split('.')[0]!, entity_id: null, entity: JSON.stringify(entity ?? null),
    modified_fields: input.modified_fields ?? [], event_time: now, idempotency_key: null, request_hash: null, created_at: now,
  };
  const ent = entity as Record<string, unknown> | null;
  if (ent && typeof ent === 'object' && (typeof ent.id === 'string' || typeof ent.id === 'number')) event.entity_id = String(ent.id);
  const deliveryId = newId('msg', now);
  if (w.destination?.settings.kind === 'poll') return queueForConsumer(deps, event, deliveryId, w.id, mode);
  const body = buildBody(
    { ...event, event_type: event.type, modified_fields: JSON.stringify(event.modified_fields) },
    { mode: rt.payloadMode, attempt: 1, isTest: mode === 'test', testFlag: rt.testFlag },
  );
  const timeoutMs = input.timeout_ms ?? (mode === 'call' ? CALL_TIMEOUT_MS : rt.policy.timeout_ms);
  const { attempt, response: res, ok } = await runAttempt(deps.sender, rt, {
    deliveryId, webhookId: w.id, orgId, attemptNo: 1, isTest: mode === 'test', eventType: input.event, body, timeoutMs,
  }, () => clock.now());
  if (mode !== 'trial') {
    await db.transaction((tx) => recordDirectDelivery(tx, event, deliveryId, attempt, mode === 'test', mode === 'call'));
  }
  return {
    succeeded: ok,
    queued: false,
    logged: mode !== 'trial',
    delivery_id: mode === 'trial' ? null : deliveryId,
    event_id: mode === 'trial' ? null : event.id,
    request: { url: rt.url, method: 'POST', headers: attempt.request_headers, body },
    response: res.status_code === null ? null : { status: res.status_code, headers: res.headers, body: res.body, truncated: res.truncated },
    error: ok ? null : { code: attempt.error_code, message: attempt.error_message },
    duration_ms: res.duration_ms,
  };
}
