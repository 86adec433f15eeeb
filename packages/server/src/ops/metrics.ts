import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '../store/store.js';

/** herald_deliveries_due counts at most this many (it reads "at least" beyond). */
export const DUE_COUNT_CAP = 10_000;

/** A registry's metrics as plain data (what crosses from the engine thread to the API thread). */
export type MetricsSnapshot = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * Prometheus metrics of one Herald process, on its own registry (tests run several in one
 * process). The engine thread keeps its own instance (without the process and store gauges);
 * the main thread adds it as a source and /metrics shows the sum.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly sources: (() => Promise<MetricsSnapshot>)[] = [];
  /** Deliveries whose outcome was committed, by outcome: succeeded, failed, retry, skipped, cancelled. */
  readonly completed: Counter<'outcome'>;
  readonly attemptSeconds: Histogram<'outcome'>;
  /** attemptSeconds' two series, bound once: observing through them skips the label lookup per attempt. */
  private readonly attemptSecondsBy: Record<'success' | 'failure', { observe(seconds: number): void }>;
  private inFlightCount: () => number = () => 0;
  readonly eventsIngested: Counter;
  readonly fenced: Counter;
  readonly engineErrors: Counter<'stage'>;
  /** Deliveries a worker leased, by how: `fresh` stored leased to it by its own ingest, `claim` by the fair claim. */
  readonly leased: Counter<'by'>;

  /** @param processMetrics the process's CPU, memory and event-loop figures (the main thread's instance only). */
  constructor(store: Store | null, processMetrics = true) {
    const registers = [this.registry];
    if (processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'herald_process_' });
    this.completed = new Counter({
      name: 'herald_deliveries_completed_total',
      help: 'Delivery attempts whose outcome was committed to the store, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.attemptSeconds = new Histogram({
      name: 'herald_attempt_duration_seconds',
      help: 'Duration of delivery attempts (request sent to response read)',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.attemptSecondsBy = { success: this.attemptSeconds.labels('success'), failure: this.attemptSeconds.labels('failure') };
    const inFlightCount = () => this.inFlightCount();
    new Gauge({
      name: 'herald_deliveries_in_flight',
      help: 'Requests in flight in this process',
      registers,
      collect() {
        this.set(inFlightCount());
      },
    });
    this.eventsIngested = new Counter({ name: 'herald_events_ingested_total', help: 'Events accepted durably', registers });
    this.fenced = new Counter({
      name: 'herald_deliveries_fenced_total',
      help: 'Results not written because the lease had passed to another worker',
      registers,
    });
    this.engineErrors = new Counter({
      name: 'herald_engine_errors_total',
      help: 'Claimed deliveries the engine could not attempt (stage=attempt) or whose result the store refused (stage=result), each retried; and failures of work the worker does not await (stage=renew, release)',
      labelNames: ['stage'] as const,
      registers,
    });
    this.leased = new Counter({
      name: 'herald_deliveries_leased_total',
      help: 'Deliveries this process leased to attempt: by=fresh stored leased to it by its own ingest, by=claim through the fair claim',
      labelNames: ['by'] as const,
      registers,
    });
    if (store) {
      // One query serves both gauges of a scrape (prom-client collects them one after the other).
      let cached: { at: number; value: Promise<{ n: number; oldest: number | null } | undefined> } | null = null;
      const due = () => {
        const now = Date.now();
        if (!cached || now - cached.at > 1000) {
          cached = {
            at: now,
            // The count stops at DUE_COUNT_CAP so a scrape stays cheap with a million waiting;
            // the oldest due time is one index seek.
            value: store.db.get<{ n: number; oldest: number | null }>(
              `SELECT (SELECT count(*) FROM (SELECT 1 FROM delivery_queue WHERE pull = 0 AND next_attempt_at <= ? LIMIT ${DUE_COUNT_CAP}) AS due) AS n,
                      (SELECT min(next_attempt_at) FROM delivery_queue WHERE pull = 0) AS oldest`,
              [now],
            ),
          };
        }
        return cached.value;
      };
      new Gauge({
        name: 'herald_deliveries_due',
        help: `Pending deliveries whose attempt time has come (not those of poll webhooks, which their consumers lease), counted up to ${DUE_COUNT_CAP}`,
        registers,
        async collect() {
          this.set(Number((await due())?.n ?? 0));
        },
      });
      new Gauge({
        name: 'herald_deliveries_oldest_due_age_seconds',
        help: 'How long the oldest due delivery has waited',
        registers,
        async collect() {
          const oldest = (await due())?.oldest;
          // The earliest pending time may lie in the future (a scheduled retry): then nothing is overdue.
          this.set(oldest ? Math.max(0, (Date.now() - Number(oldest)) / 1000) : 0);
        },
      });
    }
  }

  /**
   * Requests waiting for a slot of their receiver's origin (the adaptive per-origin limit,
   * outbound/origin-limiter.ts): steadily high with a slow receiver means it is the limit.
   */
  watchOutbound(waiting: () => number): void {
    new Gauge({
      name: 'herald_requests_waiting_for_origin',
      help: 'Outbound requests waiting for a free slot of their receiver origin',
      registers: [this.registry],
      collect() {
        this.set(waiting());
      },
    });
  }

  /**
   * herald_leader: 1 while this process runs maintenance (background/leader-election.ts), and
   * herald_maintenance_runs_total{task}: passes of each maintenance task in this process.
   */
  watchLeadership(isLeader: () => boolean): Counter<'task'> {
    new Gauge({
      name: 'herald_leader',
      help: 'Whether this process is the maintenance leader (retention, digest closing, fifo rescue): 1 or 0',
      registers: [this.registry],
      collect() {
        this.set(isLeader() ? 1 : 0);
      },
    });
    return new Counter({
      name: 'herald_maintenance_runs_total',
      help: 'Passes of each maintenance task run by this process (only the leader runs them)',
      labelNames: ['task'] as const,
      registers: [this.registry],
    });
  }

  /** herald_deliveries_in_flight reads `count` at each scrape (the delivery worker's own counter). */
  watchInFlight(count: () => number): void {
    this.inFlightCount = count;
  }

  /** Records one attempt's duration under its outcome. */
  observeAttempt(outcome: 'success' | 'failure', seconds: number): void {
    this.attemptSecondsBy[outcome].observe(seconds);
  }

  /** Adds the metrics of another thread of this process to what render() shows. */
  addSource(snapshot: () => Promise<MetricsSnapshot>): void {
    this.sources.push(snapshot);
  }

  /** The Prometheus text of this registry, summed with every added source's metrics. */
  async render(): Promise<string> {
    if (this.sources.length === 0) return this.registry.metrics();
    const all = await Promise.all([this.registry.getMetricsAsJSON(), ...this.sources.map((s) => s())]);
    return AggregatorRegistry.aggregate(all).metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
