/**
 * Herald's own event types, registered in the catalogue at every start (idempotent): the
 * operational events an org's webhooks may subscribe to (docs/alerts.md). They are delivered,
 * signed and retried like any event; only webhooks that name them receive them (`*` does not).
 */
import type { CatalogueEventTypeInput } from './load.js';
import { importEventTypes, type ImportResult } from './import.js';
import type { SqlDatabase } from '../store/sql.js';

export const WEBHOOK_DEACTIVATED = 'webhook.deactivated';
export const DELIVERY_EXHAUSTED = 'delivery.exhausted';
export const OPERATIONAL_EVENT_TYPES: readonly string[] = [WEBHOOK_DEACTIVATED, DELIVERY_EXHAUSTED];

export function isOperationalEventType(name: string): boolean {
  return OPERATIONAL_EVENT_TYPES.includes(name);
}

const iso = { type: 'string', format: 'date-time' };
const nullable = (t: string) => ({ type: [t, 'null'] });

const lastError = {
  type: 'object',
  description: 'the attempt that failed last',
  required: ['delivery_id', 'at', 'status_code', 'error_code', 'error_message', 'response_excerpt'],
  properties: {
    delivery_id: { type: 'string' },
    at: iso,
    status_code: nullable('integer'),
    error_code: { ...nullable('string'), description: 'timeout, connect_refused, status, body_mismatch, …' },
    error_message: nullable('string'),
    response_excerpt: { ...nullable('string'), description: 'the start of the response body, at most 500 characters' },
  },
};

const exampleError = {
  delivery_id: 'msg_01j9zq3r8k2v5m7n4p6q8s0t2w',
  at: '2026-11-02T09:14:03.120Z',
  status_code: 503,
  error_code: 'status',
  error_message: 'status 503',
  response_excerpt: '<html><body>Service Unavailable</body></html>',
};

export const SYSTEM_EVENT_TYPES: readonly CatalogueEventTypeInput[] = [
  {
    name: WEBHOOK_DEACTIVATED,
    kind: 'admin',
    description:
      'Herald deactivated a webhook of the org: it answered 410 Gone, or its preset\'s failure rule fired. It gets no requests until re-enabled; events meanwhile are kept as skipped deliveries.',
    schema: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      title: WEBHOOK_DEACTIVATED,
      type: 'object',
      required: ['id', 'url', 'description', 'preset', 'state', 'reason', 'deactivated_at', 'consecutive_failures', 'failing_since', 'last_error'],
      properties: {
        id: { type: 'string' },
        url: { type: 'string' },
        description: { type: 'string' },
        preset: { type: 'string' },
        state: { const: 'deactivated' },
        reason: { enum: ['gone_410', 'failure_ladder', 'consecutive_errors', 'failing_5_days'] },
        deactivated_at: iso,
        consecutive_failures: { type: 'integer', description: 'failed attempts since the last success, as the alert rules counted them' },
        failing_since: { ...nullable('string'), format: 'date-time' },
        last_error: lastError,
      },
    },
    example: {
      id: 'wh_01j9zpz4c1x3b5n7m9k2h4g6f8',
      url: 'https://crm.example.com/hooks/herald',
      description: 'CRM sync',
      preset: 'salesiq',
      state: 'deactivated',
      reason: 'failure_ladder',
      deactivated_at: '2026-11-02T09:14:03.180Z',
      consecutive_failures: 9,
      failing_since: '2026-11-02T07:02:11.004Z',
      last_error: exampleError,
    },
  },
  {
    name: DELIVERY_EXHAUSTED,
    kind: 'admin',
    description:
      'A delivery failed for good: its retry schedule is spent, or a 410 ended it. It can be resent (POST …/deliveries/{id}/retry) or recovered with others (POST …/webhooks/{id}/recover). Not sent for deliveries of operational events themselves.',
    schema: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      title: DELIVERY_EXHAUSTED,
      type: 'object',
      required: ['id', 'webhook_id', 'webhook_url', 'event_id', 'event_type', 'attempts', 'reason', 'failed_at', 'last_error'],
      properties: {
        id: { type: 'string', description: 'the delivery' },
        webhook_id: { type: 'string' },
        webhook_url: { type: 'string' },
        event_id: { type: 'string' },
        event_type: { type: 'string' },
        attempts: { type: 'integer' },
        reason: { enum: ['retries_exhausted', 'gone_410'] },
        failed_at: iso,
        last_error: lastError,
      },
    },
    example: {
      id: 'msg_01j9zq3r8k2v5m7n4p6q8s0t2w',
      webhook_id: 'wh_01j9zpz4c1x3b5n7m9k2h4g6f8',
      webhook_url: 'https://crm.example.com/hooks/herald',
      event_id: 'evt_01j9zq3r8hd2k4m6p8r0t2v4x6',
      event_type: 'conversation.created',
      attempts: 4,
      reason: 'retries_exhausted',
      failed_at: '2026-11-02T09:14:03.120Z',
      last_error: exampleError,
    },
  },
];

/**
 * Creates the system event types, or brings them up to date (a newer Herald may describe them
 * better); two processes starting at once both succeed.
 */
export async function registerSystemEventTypes(db: SqlDatabase): Promise<ImportResult> {
  return importEventTypes(db, SYSTEM_EVENT_TYPES, { replace: true });
}
