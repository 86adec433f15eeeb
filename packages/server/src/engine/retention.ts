import type { Logger } from '../ops/logger.js';
import { listOrgs } from '../store/queries/orgs.js';
import { purgeAlertRecords, purgeAttempts, purgeDeliveries, purgeEvents } from '../store/queries/retention.js';
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
}

export interface PurgeCounts {
  attempts: number;
  deliveries: number;
  events: number;
  /** Sent alert mail and handed-over operational events. */
  alert_records: number;
}

/**
 * The retention job (seeds 001, 002: logs kept 60 days): for every org, deletes attempts,
 * finished deliveries and then unreferenced events older than its `retention_days`, in bounded
 * batches, oldest first, yielding between batches so deliveries and the API keep going.
 * Every worker process runs it; deletes are idempotent, so two processes at once only
 * share the work.
 */
export class RetentionJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PurgeCounts> | null = null;
  private stopped = true;
  /** Set by stop(): a pass under way ends after its current batch. */
  private aborted = false;

  constructor(private readonly d: RetentionDeps) {}

  start(firstInMs = 10_000): void {
    this.stopped = false;
    this.schedule(firstInMs);
  }

  private schedule(inMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.runOnce()
        .catch((err: unknown) => this.d.log.error({ err }, 'retention purge failed; trying again next run'))
        .finally(() => this.schedule(Math.max(1000, (this.d.everyMs ?? 60 * 60 * 1000) / this.d.clockScale)));
    }, inMs);
    this.timer.unref();
  }

  /** One full pass over every org (a pass already under way is joined). */
  runOnce(now = Date.now()): Promise<PurgeCounts> {
    this.running ??= this.pass(now).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(now: number): Promise<PurgeCounts> {
    const total: PurgeCounts = { attempts: 0, deliveries: 0, events: 0, alert_records: 0 };
    const db = this.d.store.db;
    const batch = this.d.batch ?? 2000;
    let after: string | null = null;
    for (;;) {
      const orgs = await listOrgs(db, 100, after);
      for (const org of orgs) {
        const days = org.settings.retention_days ?? DEFAULT_RETENTION_DAYS;
        const cutoff = now - (days * DAY_MS) / this.d.clockScale;
        for (const [kind, purge] of [['attempts', purgeAttempts], ['deliveries', purgeDeliveries], ['events', purgeEvents], ['alert_records', purgeAlertRecords]] as const) {
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
    if (total.attempts + total.deliveries + total.events + total.alert_records > 0) this.d.log.info({ purged: total }, 'retention: removed old attempts, deliveries and events');
    return total;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.aborted = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}
