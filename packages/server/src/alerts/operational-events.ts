/**
 * The entities of Herald's operational events (schemas in catalogue/system.ts). Built in the
 * evaluation transaction and kept in the operational_events outbox until ingested.
 */
import { DELIVERY_EXHAUSTED, WEBHOOK_DEACTIVATED } from '../catalogue/system.js';
import type { AlertState, DeactivationReason, Failure } from './types.js';
import { iso } from '../time.js';

/** One row of the operational_events outbox, before it is written. */
export interface OperationalEvent {
  org_id: string;
  type: typeof WEBHOOK_DEACTIVATED | typeof DELIVERY_EXHAUSTED;
  entity_type: 'webhook' | 'delivery';
  entity_id: string;
  entity: Record<string, unknown>;
  event_time: number;
}

export function lastErrorView(f: Failure) {
  return {
    delivery_id: f.delivery_id,
    at: iso(f.at),
    status_code: f.status_code,
    error_code: f.error_code,
    error_message: f.error_message,
    response_excerpt: f.response_excerpt,
  };
}

export function webhookDeactivatedEvent(
  w: { id: string; org_id: string; url: string; description: string; preset: string },
  reason: DeactivationReason,
  state: AlertState,
  failure: Failure,
  at: number,
): OperationalEvent {
  return {
    org_id: w.org_id,
    type: WEBHOOK_DEACTIVATED,
    entity_type: 'webhook',
    entity_id: w.id,
    event_time: at,
    entity: {
      id: w.id,
      url: w.url,
      description: w.description,
      preset: w.preset,
      state: 'deactivated',
      reason,
      deactivated_at: iso(at),
      consecutive_failures: state.streak,
      failing_since: state.failing_since === null ? null : iso(state.failing_since),
      last_error: lastErrorView(failure),
    },
  };
}

export function deliveryExhaustedEvent(
  d: { id: string; org_id: string; webhook_id: string; webhook_url: string; event_id: string; event_type: string; attempts: number },
  failure: Failure,
): OperationalEvent {
  return {
    org_id: d.org_id,
    type: DELIVERY_EXHAUSTED,
    entity_type: 'delivery',
    entity_id: d.id,
    event_time: failure.at,
    entity: {
      id: d.id,
      webhook_id: d.webhook_id,
      webhook_url: d.webhook_url,
      event_id: d.event_id,
      event_type: d.event_type,
      attempts: d.attempts,
      reason: failure.gone ? 'gone_410' : 'retries_exhausted',
      failed_at: iso(failure.at),
      last_error: lastErrorView(failure),
    },
  };
}
