/**
 * Hands operational events from their outbox (written in the alert transaction) to ingest.
 * Each goes through the engine's ingest queue (the same group commit as the API's events), so
 * it is stored with its deliveries in one durable commit, then signed, sent and retried like any event. The idempotency key is the outbox
 * row's id: a process that dies after ingest but before marking the row done, or two
 * processes that take the same row, produce one event, never two.
 *
 * Only webhooks that name the operational event types receive them: a webhook subscribed
 * to `*` (the default) is not an operational webhook and would not expect them.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../background/clock.js';
import { BackgroundService } from '../background/service.js';
import { OPERATIONAL_EVENT_TYPES } from '../catalogue/system.js';
import type { IngestQueue } from '../engine/ingest-queue.js';
import { newId } from '../ids.js';
import type { Logger } from '../ops/logger.js';
import * as q from '../store/queries/alerts.js';
import type { Store } from '../store/store.js';
import type { NewEvent } from '../store/types.js';

export interface EventRelayDeps {
  store: Store;
  log: Logger;
  idleCheckMs: number;
  /** The engine's one ingest queue. */
  ingest: IngestQueue;
  clock?: Clock;
}

const BATCH = 100;
const LEASE_MS = 30_000;

/** The idempotency key of an outbox row's event. */
export const operationalIdempotencyKey = (outboxId: string) => `herald:${outboxId}`;

export class OperationalEventRelay extends BackgroundService {
  constructor(private readonly d: EventRelayDeps) {
    super({ name: 'operational event relay', log: d.log, clock: d.clock });
  }

  protected async look(): Promise<number | null> {
    const { store } = this.d;
    try {
      for (;;) {
        const rows = await q.claimOperationalEvents(store.db, store.dialect, this.now(), LEASE_MS, BATCH);
        if (rows.length > 0) await this.relay(rows);
        if (rows.length < BATCH || !this.running) break;
      }
      const next = await q.nextOperationalDueAt(store.db);
      return Math.min(next ?? Number.POSITIVE_INFINITY, this.now() + this.d.idleCheckMs);
    } catch (err) {
      this.log.error({ err }, 'handing operational events to ingest failed; trying again in 1 s');
      return this.now() + 1000;
    }
  }

  private async relay(rows: readonly q.OutboxEvent[]): Promise<void> {
    const { store } = this.d;
    const subscribers = await q.explicitSubscribers(store.db, [...new Set(rows.map((r) => r.org_id))], OPERATIONAL_EVENT_TYPES);
    await Promise.all(rows.map(async (row) => {
      const explicit = subscribers.get(`${row.org_id}\u0000${row.type}`);
      const now = this.now();
      if (!explicit || explicit.size === 0) {
        // Nobody names this type any more: nothing to store.
        await q.finishOperationalEvent(store.db, row.id, null, now);
        return;
      }
      const event: NewEvent = {
        id: newId('evt', now),
        org_id: row.org_id,
        app_id: null,
        type: row.type,
        entity_type: row.entity_type,
        entity_id: row.entity_id,
        entity: row.entity,
        modified_fields: [],
        event_time: row.event_time,
        idempotency_key: operationalIdempotencyKey(row.id),
        request_hash: createHash('sha256').update(`${row.type}\u0000${row.entity}`).digest('base64url'),
        created_at: now,
        // Only webhooks that name this type receive it (a `*` webhook does not).
        only_webhooks: [...explicit],
      };
      try {
        const result = await this.d.ingest.submit([event]);
        const eventId = result.ok ? (result.events[0]?.event_id ?? null) : null;
        await q.finishOperationalEvent(store.db, row.id, eventId, this.now());
      } catch (err) {
        this.log.error({ err, outboxId: row.id }, 'ingesting an operational event failed; it is retried');
        await q.retryOperationalEvent(store.db, row.id, this.now() + 1000);
      }
    }));
  }
}
