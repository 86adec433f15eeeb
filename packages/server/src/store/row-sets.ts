/**
 * The one write path for events, deliveries and attempts. Planning steps (ingest-plan.ts,
 * direct-plan.ts, the digest and completion paths) turn what happened into row sets; each
 * dialect only executes them (row-writer.ts for SQL executors, the SQLite hot path with the
 * same statements prepared). Each table's columns are listed once, here, with the PostgreSQL
 * type its `unnest` casts to; no INSERT into these tables is written anywhere else.
 */
import type { Attempt } from '../model.js';
import { packRequestHeaders } from './request-headers.js';
import type { NewEvent } from './types.js';
import type { WebhookStatsDelta } from './webhook-stats.js';

type Value = string | number | null;

export const EVENT_COLUMNS = {
  id: 'text', org_id: 'text', app_id: 'text', type: 'text', entity_type: 'text', entity_id: 'text', entity: 'text',
  modified_fields: 'text', event_time: 'bigint', idempotency_key: 'text', request_hash: 'text', delivery_count: 'bigint',
  created_at: 'bigint',
} as const;

export const DELIVERY_COLUMNS = {
  id: 'text', org_id: 'text', webhook_id: 'text', event_id: 'text', status: 'text', attempts: 'bigint',
  is_test: 'bigint', fifo: 'int', pull: 'bigint', digest_waiting: 'bigint', created_at: 'bigint', updated_at: 'bigint',
  last_attempt_at: 'bigint', last_status_code: 'bigint', last_error: 'text',
} as const;

/** The pending-work row of a pending delivery (delivery_queue, docs/deliveries.md "Storage"). */
export const QUEUE_COLUMNS = {
  delivery_id: 'text', webhook_id: 'text', next_attempt_at: 'bigint', lease_token: 'text', pull: 'bigint', fifo: 'bigint',
} as const;

export const ATTEMPT_COLUMNS = {
  id: 'text', delivery_id: 'text', webhook_id: 'text', org_id: 'text', attempt: 'bigint', started_at: 'bigint',
  duration_ms: 'bigint', outcome: 'text', status_code: 'bigint', error_code: 'text', error_message: 'text',
  request_headers: 'text', response_headers: 'text', response_body: 'text', response_truncated: 'bigint', is_test: 'bigint',
} as const;

export type EventRow = { [K in keyof typeof EVENT_COLUMNS]: Value };
export type DeliveryRow = { [K in keyof typeof DELIVERY_COLUMNS]: Value };
export type AttemptRow = { [K in keyof typeof ATTEMPT_COLUMNS]: Value };
export type QueueRow = { [K in keyof typeof QUEUE_COLUMNS]: Value };

/** Everything one transaction writes. */
export interface RowSet {
  events: EventRow[];
  deliveries: DeliveryRow[];
  /** The pending-work rows of the pending ones among `deliveries` (queuedRow). */
  queue: QueueRow[];
  attempts: AttemptRow[];
  /** Per-webhook health counters (webhook-stats.ts), applied after the attempts. */
  stats: WebhookStatsDelta[];
  /** FIFO webhooks that got new deliveries: all but their oldest pending one wait (queries/fifo.ts). */
  parkFifo: string[];
}

export const emptyRowSet = (): RowSet => ({ events: [], deliveries: [], queue: [], attempts: [], stats: [], parkFifo: [] });

/** The tables a row set writes, in foreign-key order, with their column lists. */
export const TABLES = [
  { table: 'events', columns: EVENT_COLUMNS, rows: (r: RowSet) => r.events },
  { table: 'deliveries', columns: DELIVERY_COLUMNS, rows: (r: RowSet) => r.deliveries },
  { table: 'delivery_queue', columns: QUEUE_COLUMNS, rows: (r: RowSet) => r.queue },
  { table: 'attempts', columns: ATTEMPT_COLUMNS, rows: (r: RowSet) => r.attempts },
] as const;

/** An event as its row, with the number of deliveries planned for it. */
export function eventRow(e: NewEvent, deliveryCount: number): EventRow {
  return {
    id: e.id, org_id: e.org_id, app_id: e.app_id, type: e.type, entity_type: e.entity_type, entity_id: e.entity_id,
    entity: e.entity, modified_fields: JSON.stringify(e.modified_fields), event_time: e.event_time,
    idempotency_key: e.idempotency_key, request_hash: e.request_hash, delivery_count: deliveryCount, created_at: e.created_at,
  };
}

/** A new delivery row: nothing attempted yet unless `last` says so. */
export function deliveryRow(
  d: Pick<DeliveryRow, 'id' | 'org_id' | 'webhook_id' | 'event_id' | 'status' | 'created_at'> & Partial<DeliveryRow>,
): DeliveryRow {
  return {
    attempts: 0, is_test: 0, fifo: 0, pull: 0, digest_waiting: d.status === 'batched' ? 1 : 0, updated_at: d.created_at,
    last_attempt_at: null, last_status_code: null, last_error: null,
    ...d,
  };
}

/**
 * Adds a new delivery to a row set, with its pending-work row when it is pending: due at
 * `dueAt`, or, with a `leaseToken`, leased until `dueAt` (a fresh delivery, engine/fresh-deliveries.ts).
 */
export function addDelivery(rows: RowSet, d: DeliveryRow, dueAt: number, leaseToken: string | null = null): void {
  rows.deliveries.push(d);
  if (d.status === 'pending') {
    rows.queue.push({ delivery_id: d.id, webhook_id: d.webhook_id, next_attempt_at: dueAt, lease_token: leaseToken, pull: d.pull, fifo: d.fifo });
  }
}

/** An attempt as its row (headers as JSON text, booleans as 0/1). */
export function attemptRow(a: Attempt): AttemptRow {
  return {
    id: a.id, delivery_id: a.delivery_id, webhook_id: a.webhook_id, org_id: a.org_id, attempt: a.attempt,
    started_at: a.started_at, duration_ms: a.duration_ms, outcome: a.outcome, status_code: a.status_code,
    error_code: a.error_code, error_message: a.error_message, request_headers: packRequestHeaders(a.request_headers, a.delivery_id),
    response_headers: a.response_headers === null ? null : JSON.stringify(a.response_headers),
    response_body: a.response_body, response_truncated: a.response_truncated ? 1 : 0, is_test: a.is_test ? 1 : 0,
  };
}

/** `INSERT INTO t (c1, c2…) VALUES (?, ?…)`: one row, for SQLite's prepared statements. */
export function insertOneSql(table: string, columns: Record<string, string>): string {
  const names = Object.keys(columns);
  return `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`;
}

/** `INSERT INTO t (c1…) SELECT * FROM unnest(?::text[], …)`: any number of rows, for PostgreSQL. */
export function insertManySql(table: string, columns: Record<string, string>): string {
  const names = Object.keys(columns);
  return `INSERT INTO ${table} (${names.join(', ')}) SELECT * FROM unnest(${Object.values(columns).map((t) => `?::${t}[]`).join(', ')})`;
}

/** A row's values in its table's column order. */
export function values(columns: Record<string, string>, row: Record<string, Value>): Value[] {
  return Object.keys(columns).map((c) => row[c] ?? null);
}

/** Rows as one array per column, in column order (the parameters of insertManySql). */
export function columnArrays(columns: Record<string, string>, rows: readonly Record<string, Value>[]): Value[][] {
  return Object.keys(columns).map((c) => rows.map((r) => r[c] ?? null));
}
