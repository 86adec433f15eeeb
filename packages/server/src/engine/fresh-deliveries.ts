/**
 * Fresh deliveries: the ones an ingest of this engine is storing. The engine already holds
 * everything a worker needs to send them (the event, the webhook's revision), so instead of
 * waiting for the next claim (a gathered wake-up, then the fair claim's walk and a join that
 * reads the rows back) the ingest writes those its worker has room for **already leased** to
 * that worker, in the ingest's own transaction, and the worker sends them once the commit is
 * durable (docs/deliveries.md, "Fresh deliveries"). No claim can take a leased row, and no
 * second transaction leases it. Whatever the worker has no room for, a webhook held back by
 * its origin, a fifo or poll webhook, is stored due at once and claimed as usual.
 */
import type { ClaimedDelivery, FanOutPlanner, NewEvent, PlannedDelivery, Subscriber } from '../store/types.js';

export interface FreshDelivery {
  id: string;
  webhook_id: string;
  event: NewEvent;
  subscriber: Subscriber;
}

/**
 * The worker's room for one ingest commit's fresh deliveries, under one lease token (the
 * worker's `openFresh`). Exactly one of `sent` or `cancel` ends it.
 */
export interface FreshLease {
  readonly token: string;
  /** When the lease ends unless renewed: the leased rows' next_attempt_at. */
  readonly until: number;
  /** Whether the worker takes this delivery (room left, its origin not crowded); taken ones are written leased. */
  take(webhookId: string, deliveryId: string): boolean;
  /** The commit is durable: these of its taken deliveries were stored (the others were planned by a run that rolled back). */
  sent(stored: FreshDelivery[]): void;
  /** The commit failed: nothing it took was stored. */
  cancel(): void;
}

/**
 * The planner `plan`, also leasing to `lease` each pending delivery that may go out without a
 * claim (enabled webhook, not fifo, not poll) while the worker takes it, and noting those into
 * `into` by event id. A transaction that runs again (PostgreSQL's retry after a unique
 * violation) plans each event again with new delivery ids: the later plan replaces the
 * earlier one's notes (`storedFresh` then keeps only what the commit stored).
 */
export function leasingFresh(plan: FanOutPlanner, lease: FreshLease, into: Map<string, FreshDelivery[]>): FanOutPlanner {
  return (event, subscribers) => {
    const planned = plan(event, subscribers);
    const noted: FreshDelivery[] = [];
    into.set(event.id, noted);
    // Each webhook's subscriber once, found without a scan per delivery (fan-out to hundreds).
    let byId: Map<string, Subscriber> | null = null;
    return planned.map((d): PlannedDelivery => {
      if (d.status !== 'pending' || d.fifo === true || d.pull === true) return d;
      byId ??= new Map(subscribers.map((s) => [s.id, s]));
      const subscriber = byId.get(d.webhook_id);
      if (subscriber === undefined || subscriber.state !== 'enabled' || !lease.take(d.webhook_id, d.id)) return d;
      noted.push({ id: d.id, webhook_id: d.webhook_id, event, subscriber });
      return { ...d, lease: { token: lease.token, until: lease.until } };
    });
  };
}

/** The fresh deliveries a commit stored: those of its events stored anew (not replays), as last planned. */
export function storedFresh(into: ReadonlyMap<string, FreshDelivery[]>, storedEventIds: Iterable<string>): FreshDelivery[] {
  const out: FreshDelivery[] = [];
  for (const id of storedEventIds) {
    const noted = into.get(id);
    if (noted) for (const f of noted) out.push(f);
  }
  return out;
}

/** A leased fresh delivery as the worker's claim would have read it back. */
export function claimedFresh(f: FreshDelivery, token: string): ClaimedDelivery {
  const e = f.event;
  return {
    id: f.id, org_id: e.org_id, webhook_id: f.webhook_id, webhook_revision: f.subscriber.revision, webhook_state: f.subscriber.state,
    attempts: 0, is_test: false, fifo: false, lease_token: token, event_id: e.id, event_type: e.type, app_id: e.app_id,
    entity_type: e.entity_type, entity_id: e.entity_id, entity: e.entity, modified_fields: JSON.stringify(e.modified_fields), event_time: e.event_time,
  };
}
