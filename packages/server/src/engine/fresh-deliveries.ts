/**
 * Fresh deliveries: the ones an ingest of this engine just stored. The engine already holds
 * everything a worker needs to send them (the event, the webhook's revision), so instead of
 * waiting for the next claim (a gathered wake-up, then the fair claim's walk and a join that
 * reads the rows back) the worker leases them by id right after the commit and sends them
 * (docs/deliveries.md, "Fresh deliveries"). Until then claims leave them alone (FRESH_HOLD_MS).
 * Whatever it does not take — no room, a webhook held back by its origin, a fifo or poll
 * webhook — is claimed as usual.
 */
import { FRESH_HOLD_MS } from '../store/queries/fair-claim.js';
import type { ClaimedDelivery, FanOutPlanner, NewEvent, PlannedDelivery, Subscriber } from '../store/types.js';

export interface FreshDelivery {
  id: string;
  webhook_id: string;
  event: NewEvent;
  subscriber: Subscriber;
}

/**
 * The planner `plan`, also noting into `into` each pending delivery that may go out without a
 * claim (enabled webhook, not fifo, not poll), due only once the hold ends (FRESH_HOLD_MS). A
 * transaction that runs again (PostgreSQL's retry after a unique violation) plans new ids; the
 * first run's are never stored, and leasing them by id finds nothing.
 */
export function notingFresh(plan: FanOutPlanner, into: FreshDelivery[]): FanOutPlanner {
  return (event, subscribers) => {
    const planned = plan(event, subscribers);
    // Each webhook's subscriber once, found without a scan per delivery (fan-out to hundreds).
    let byId: Map<string, Subscriber> | null = null;
    return planned.map((d): PlannedDelivery => {
      if (d.status !== 'pending' || d.fifo === true || d.pull === true) return d;
      byId ??= new Map(subscribers.map((s) => [s.id, s]));
      const subscriber = byId.get(d.webhook_id);
      if (subscriber === undefined || subscriber.state !== 'enabled') return d;
      into.push({ id: d.id, webhook_id: d.webhook_id, event, subscriber });
      return { ...d, due_at: event.created_at + FRESH_HOLD_MS };
    });
  };
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
