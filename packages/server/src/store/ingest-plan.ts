/**
 * Ingest as a pure plan: a group commit's requests (groups of events) become the answers and
 * the row set one transaction writes. Both dialects look up what is stored (idempotency keys,
 * subscribers) and then execute the plan, so replays, fan-out, FIFO marks and row shapes are
 * decided in one place.
 */
import type { WebhookState } from '../model.js';
import { addDelivery, deliveryRow, emptyRowSet, eventRow, type RowSet } from './row-sets.js';
import { findReplays, type StoredIdempotent } from './replays.js';
import type { FanOutPlanner, IngestGroup, IngestGroupResult, IngestedEvent, Subscriber } from './types.js';

/** What the plan needs to know of the store; answered from the open transaction. */
export interface IngestLookups {
  /** The event stored earlier under (org, idempotency key), if any. */
  stored(org: string, key: string): StoredIdempotent | undefined;
  /** The webhooks of `org` subscribed to `type` or to `*`, each once. */
  subscribers(org: string, type: string): readonly Subscriber[];
}

/** A webhook subscription as both dialects read it (JSON columns still text). */
export interface SubscriberRow {
  id: string;
  state: WebhookState;
  revision: number | string;
  apps: string | null;
  filter: string | null;
  delivery: string;
  policy: string;
  destination: string | null;
}

export function subscriberFromRow(r: SubscriberRow): Subscriber {
  return {
    id: r.id,
    state: r.state,
    revision: Number(r.revision),
    apps: r.apps === null ? null : (JSON.parse(r.apps) as string[]),
    filter: r.filter,
    digest: (JSON.parse(r.delivery) as { mode?: string }).mode === 'digest',
    fifo: (JSON.parse(r.policy) as { ordering?: string }).ordering === 'fifo',
    pull: r.destination !== null && (JSON.parse(r.destination) as { settings?: { kind?: string } }).settings?.kind === 'poll',
  };
}

export interface IngestPlan {
  /** One answer per group, in order: its events, or the idempotency key it conflicts on. */
  results: IngestGroupResult[];
  rows: RowSet;
}

export function planIngest(groups: readonly IngestGroup[], lookups: IngestLookups, plan: FanOutPlanner): IngestPlan {
  const rows = emptyRowSet();
  const fifo = new Set<string>();
  // Keys planned by earlier groups of this commit count as stored for the later ones.
  const planned = new Map<string, StoredIdempotent>();
  const stored = (org: string, key: string) => planned.get(`${org}\u0000${key}`) ?? lookups.stored(org, key);
  const results: IngestGroupResult[] = [];
  for (const group of groups) {
    const replays = findReplays(group, stored);
    if (typeof replays === 'string') {
      results.push({ ok: false, conflict: replays });
      continue;
    }
    const events: IngestedEvent[] = [];
    const done = new Map<string, IngestedEvent>();
    for (const e of group) {
      const replay = replays.get(e);
      if (replay) {
        events.push('replayed' in replay ? replay : { ...done.get(replay.id)!, replayed: true });
        continue;
      }
      const deliveries = plan(e, lookups.subscribers(e.org_id, e.type));
      rows.events.push(eventRow(e, deliveries.length));
      for (const d of deliveries) {
        if (d.fifo === true) fifo.add(d.webhook_id);
        addDelivery(rows, deliveryRow({
          id: d.id, org_id: e.org_id, webhook_id: d.webhook_id, event_id: e.id, status: d.status,
          fifo: d.fifo === true ? 1 : 0, pull: d.pull === true ? 1 : 0, created_at: e.created_at,
        }), d.lease?.until ?? e.created_at, d.lease?.token ?? null);
      }
      const result = { event_id: e.id, deliveries: deliveries.length, replayed: false };
      done.set(e.id, result);
      events.push(result);
    }
    for (const e of group) {
      if (e.idempotency_key !== null && done.has(e.id)) {
        planned.set(`${e.org_id}\u0000${e.idempotency_key}`, { id: e.id, request_hash: e.request_hash, delivery_count: done.get(e.id)!.deliveries });
      }
    }
    results.push({ ok: true, events });
  }
  rows.parkFifo = [...fifo];
  return { results, rows };
}
