import type { Clock } from '../background/clock.js';
import { BackgroundService } from '../background/service.js';
import type { Logger } from '../ops/logger.js';
import { listOrgs } from '../store/queries/orgs.js';
import { purgeAlertRecords, purgeAttempts, purgeDeliveries, purgeEvents } from '../store/queries/retention.js';
import { IDEMPOTENCY_WINDOW_MS, purgeIdempotencyKeys } from '../store/queries/idempotency.js';
import type { Store } from '../store/store.js';

export const DEFAULT_RETENTION_DAYS = 60;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionDeps {
  store: Store;
  log: Logger;
  clockScale: number;
  /** Time between runs, ms before clock scaling (default one hour). */
  everyMs?: number;
  /** Rows deleted per statement (default 2,000): each batch is a short transaction. */
  batch?: number;
  /** Time before the first run after start, ms (default 10 s, startup is busy enough, or one period if shorter). */
  firstInMs?: number;
  clock?: Clock;
}

export interface PurgeCounts {
  attempts: number;
  deliveries: number;
  events: number;
  /** Sent alert mail and handed-over operational events. */
  alert_records: number;
  /** Idempotency keys past their 24 hours (not clock-scaled: a caller's retry window is real time). */
  idempotency_keys: number;
}

/** Time between runs: an hour by default, clock-scaled, at least a second. */
const periodMs = (d: RetentionDeps) => Math.max(1000, (d.everyMs ?? 60 * 60 * 1000) / d.clockScale);

/**
 * The retention job (seeds 001, 002: logs kept 60 days): for every org, deletes attempts,
 * finished deliveries and then unreferenced events older than its `retention_days`, in bounded
 * batches, oldest first, yielding between batches so deliveries and the API keep going.
 * It runs on the leader only (background/leader-election.ts); deletes are idempotent, so a
 * short overlap of two leaders only shares the work.
 */
export class RetentionJob extends BackgroundService {
  private pending: Promise<PurgeCounts> | null = null;
  /** Set by stop(): a pass under way ends after its current batch. */
  private aborted = false;
  /** What the last pass (of the loop or of runOnce) removed: tests and logs read it. */
  lastPurge: PurgeCounts | null = null;

  constructor(private readonly d: RetentionDeps) {
    super({ name: 'retention', log: d.log, clock: d.clock, firstLookInMs: d.firstInMs ?? Math.min(10_000, periodMs(d)) });
  }

  override start(): void {
    this.aborted = false;
    super.start();
  }

  protected async look(): Promise<number | null> {
    try {
      await this.runOnce();
    } catch (err) {
      this.log.error({ err }, 'retention purge failed; trying again next run');
    }
    return this.now() + periodMs(this.d);
  }

  /** One full pass over every org (a pass already under way is joined). */
  runOnce(now = this.now()): Promise<PurgeCounts> {
    this.pending ??= this.pass(now).finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async pass(now: number): Promise<PurgeCounts> {
    const total: PurgeCounts = { attempts: 0, deliveries: 0, events: 0, alert_records: 0, idempotency_keys: 0 };
    const db = this.d.store.db;
    const batch = this.d.batch ?? 2000;
    let after: string | null = null;
    for (;;) {
      const orgs = await listOrgs(db, 100, after);
      for (const org of orgs) {
        const days = org.settings.retention_days ?? DEFAULT_RETENTION_DAYS;
        const cutoff = now - (days * DAY_MS) / this.d.clockScale;
        // Attempts first, through the org's old deliveries (a cursor over their ids).
        for (let from: string | null = ''; from !== null;) {
          if (this.aborted) return total;
          const step = await purgeAttempts(db, org.id, cutoff, batch, from);
          total.attempts += step.deleted;
          from = step.next;
          if (from !== null) await new Promise((r) => setImmediate(r));
        }
        for (const [kind, purge] of [['deliveries', purgeDeliveries], ['events', purgeEvents], ['alert_records', purgeAlertRecords]] as const) {
          for (;;) {
            if (this.aborted) return total;
            const n = await purge(db, org.id, cutoff, batch);
            total[kind] += n;
            if (n < batch) break;
            await new Promise((r) => setImmediate(r));
          }
        }
      }
      if (orgs.length < 100) break;
      after = orgs.at(-1)!.id;
    }
    for (;;) {
      if (this.aborted) return total;
      const n = await purgeIdempotencyKeys(db, now - IDEMPOTENCY_WINDOW_MS, batch);
      total.idempotency_keys += n;
      if (n < batch) break;
      await new Promise((r) => setImmediate(r));
    }
    this.lastPurge = total;
    if (Object.values(total).some((n) => n > 0)) this.log.info({ purged: total }, 'retention: removed old attempts, deliveries, events and idempotency keys');
    return total;
  }

  /** A pass under way ends after its current batch. */
  override stop(): Promise<void> {
    this.aborted = true;
    return super.stop();
  }

  protected override async afterStop(): Promise<void> {
    await this.pending?.catch(() => undefined);
  }
}
