/**
 * The range of every number a caller can set: webhook policy, org settings, event times.
 * The API schemas take their bounds from here and docs/webhooks.md's "Ranges" table is
 * checked against it, so an absurd value (a rate of 1e-7 a second whose wait overflowed
 * setTimeout; an event time of 1e21 PostgreSQL's BIGINT could not hold) is refused with a
 * 400 instead of reaching the engine or a store.
 */
export interface NumberRange {
  min: number;
  max: number;
  /** Shown in the docs table: what the number counts. */
  unit: string;
}

/** 9999-12-31T23:59:59.999Z: the last instant an RFC 3339 date-time can name. */
export const MAX_TIME_MS = 253_402_300_799_999;

export const RANGES = {
  'policy.timeout_ms': { min: 100, max: 30_000, unit: 'ms' },
  'policy.retry_schedule[]': { min: 0, max: 7 * 86_400_000, unit: 'ms (written 5s, 5m, 2h, 1d)' },
  'policy.retry_schedule': { min: 0, max: 20, unit: 'entries' },
  'policy.retry_jitter': { min: 0, max: 0.5, unit: 'fraction of each delay' },
  // One request per 100 s at the slowest: the gate then waits at most 100 s between starts.
  'policy.rate_limit': { min: 0.01, max: 100_000, unit: 'requests started per second' },
  'policy.max_in_flight': { min: 1, max: 10_000, unit: 'requests at once' },
  'policy.success.status': { min: 1, max: 100, unit: 'entries (each 100-599 or "2xx")' },
  'policy.success.bodies': { min: 1, max: 100, unit: 'entries' },
  'delivery.every': { min: 60_000, max: 31 * 86_400_000, unit: 'ms (written 15m, 1h, 1d)' },
  'settings.max_webhooks': { min: 0, max: 1_000_000, unit: 'webhooks' },
  'settings.retention_days': { min: 1, max: 3650, unit: 'days' },
  'event_time': { min: 0, max: MAX_TIME_MS, unit: 'ms since the epoch (year 9999 at most)' },
  'entity_id': { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, unit: 'integer (or a string)' },
} as const satisfies Record<string, NumberRange>;

export type RangeName = keyof typeof RANGES;

/** JSON Schema bounds for a range, for Type.Integer / Type.Number / Type.Array options. */
export function bounds(name: RangeName): { minimum: number; maximum: number } {
  return { minimum: RANGES[name].min, maximum: RANGES[name].max };
}
