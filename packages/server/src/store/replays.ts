import type { IngestGroup, IngestedEvent, NewEvent } from './types.js';

/** An earlier stored event found under an idempotency key. */
export interface StoredIdempotent {
  id: string;
  request_hash: string | null;
  delivery_count: number;
}

/**
 * Sorts a group's events into fresh ones and replays. A replay is answered with the first
 * answer; the same key with a different body is a conflict (the key is returned).
 * `lookup` finds an event stored earlier under (org, key).
 */
export function findReplays(
  group: IngestGroup,
  lookup: (org: string, key: string) => StoredIdempotent | undefined,
): Map<NewEvent, IngestedEvent | NewEvent> | string {
  const replays = new Map<NewEvent, IngestedEvent | NewEvent>();
  const seen = new Map<string, NewEvent>();
  for (const ev of group) {
    if (ev.idempotency_key === null) continue;
    const earlier = seen.get(ev.idempotency_key);
    if (earlier) {
      if (earlier.request_hash !== ev.request_hash) return ev.idempotency_key;
      replays.set(ev, earlier);
      continue;
    }
    seen.set(ev.idempotency_key, ev);
    const row = lookup(ev.org_id, ev.idempotency_key);
    if (row) {
      if (row.request_hash !== ev.request_hash) return ev.idempotency_key;
      replays.set(ev, { event_id: row.id, deliveries: row.delivery_count, replayed: true });
    }
  }
  return replays;
}
