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
import { OPERATIONAL_EVENT_TYPES } from '../catalogue/system.js';
import type { IngestQueue } from '../engine/ingest-queue.js';
import { WakeTimer } from '../engine/wake-timer.js';
import { newId } from '../ids.js';
import type { Logger } from '../ops/logger.js';
import * as q from '../store/queries/alerts.js';
import type { Store } from '../store/store.js';
import type { NewEvent } from '../store/types.js';
import { SerialRunner } from '../engine/serial-runner.js';

export interface EventRelayDeps {
  store: Store;
  log: Logger;
  idleCheckMs: number;
  /** The engine's one ingest queue. */
  ingest: IngestQueue;
}

const BATCH = 100;
const LEASE_MS = 30_000;

/** The idempotency key of an outbox row's event. */
export const operationalIdempotencyKey = (outboxId: string) => `herald:${outboxId}`;

export class OperationalEventRelay {
  private running = false;
  private readonly looks = new SerialRunner(() => this.look(), () => this.running);
  private readonly timer = new WakeTimer(() => this.wake());
  constructor(private readonly d: EventRelayDeps) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.wake();
  }

  wake(): void {
    this.looks.wake();
  }

  private async look(): Promise<void> {
    const { store } = this.d;
    try {
      for (;;) {
        const rows = await q.claimOperationalEvents(store.db, store.dialect, Date.now(), LEASE_MS, BATCH);
        if (rows.length > 0) await this.relay(rows);
        if (rows.length < BATCH || !this.running) break;
      }
      const next = await q.nextOperationalDueAt(store.db);
      this.arm(Math.min(next ?? Number.POSITIVE_INFINITY, Date.now() + this.d.idleCheckMs));
    } catch (err) {
      this.d.log.error({ err }, 'handing operational events to ingest failed; trying again in 1 s');
      this.arm(Date.now() + 1000);
    }
  }

  private async relay(rows: readonly q.OutboxEvent[]): Promise<void> {
    const { store } = this.d;
    const subscribers = await q.explicitSubscribers(store.db, [...new Set(rows.map((r) => r.org_id))], OPERATIONAL_EVENT_TYPES);
    await Promise.all(rows.map(async (row) => {
      const explicit = subscribers.get(`${row.org_id}\u0000${row.type}`);
      const now = Date.now();
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
        await q.finishOperationalEvent(store.db, row.id, eventId, Date.now());
      } catch (err) {
        this.d.log.error({ err, outboxId: row.id }, 'ingesting an operational event failed; it is retried');
        await q.retryOperationalEvent(store.db, row.id, Date.now() + 1000);
      }
    }));
  }

  private arm(at: number): void {
    if (this.running) this.timer.arm(at);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.timer.cancel();
    await this.looks.settled();
  }
}
