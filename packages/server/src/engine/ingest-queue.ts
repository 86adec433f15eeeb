import { traceIngestCommit } from '../ops/trace-spans.js';
import { currentSpanContext } from '../ops/tracing.js';
import type { Store } from '../store/store.js';
import type { FanOutPlanner, IngestGroup, IngestGroupResult } from '../store/types.js';
import { leasingFresh, storedFresh, type FreshDelivery, type FreshLease } from './fresh-deliveries.js';

interface Waiting {
  group: IngestGroup;
  /** The span the request arrived in (tracing on): the commit span links to it. */
  trace: ReturnType<typeof currentSpanContext>;
  resolve: (r: IngestGroupResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: ingest requests that arrive together are written in one transaction (one
 * fsync on SQLite, one round trip per statement on PostgreSQL) and each is answered only
 * after that commit is durable. What arrives while commits are under way forms the next group.
 */
export class IngestQueue {
  private waiting: Waiting[] = [];
  private waitingEvents = 0;
  private running = 0;
  private scheduled = false;

  /**
   * @param maxConcurrentCommits commits whose durability wait may overlap: on SQLite the commit
   *   is quick and the fsync that follows runs off the event loop, so the next group commits
   *   while the previous one syncs; on PostgreSQL several transactions use the pool.
   * @param overlapFrom a commit starts beside one already under way only when at least this
   *   many events wait; fewer wait for it and join the next group. Default: PostgreSQL 64 (a
   *   transaction there costs the server several statements and an fsync whatever its size, so
   *   a stream of single events is grouped rather than committed one by one, while large
   *   batches still overlap), SQLite 1 (its commits are cheap; the fsync is what overlaps).
   */
  constructor(
    private readonly store: Store,
    private readonly plan: FanOutPlanner,
    private readonly maxEventsPerCommit = 5000,
    private readonly maxConcurrentCommits = 4,
    private readonly overlapFrom = store.dialect === 'postgres' ? 64 : 1,
  ) {}

  private drained: (() => void)[] = [];

  /**
   * Opens the worker's room for one commit's fresh deliveries, which the commit writes leased
   * to it (fresh-deliveries.ts); set by the engine when this process delivers. Must not throw.
   */
  openFresh: (() => FreshLease | null) | null = null;

  /** Resolves once nothing waits and no commit is under way (graceful stop). */
  drain(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  submit(group: IngestGroup): Promise<IngestGroupResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ group, resolve, reject, trace: currentSpanContext() });
      this.waitingEvents += group.length;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || !this.mayStart()) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startCommit();
    });
  }

  private take(): Waiting[] {
    let events = 0;
    let n = 0;
    while (n < this.waiting.length && (n === 0 || events + this.waiting[n]!.group.length <= this.maxEventsPerCommit)) {
      events += this.waiting[n]!.group.length;
      n++;
    }
    return this.waiting.splice(0, n);
  }

  private mayStart(): boolean {
    if (this.waiting.length === 0 || this.running >= this.maxConcurrentCommits) return false;
    return this.running === 0 || this.waitingEvents >= this.overlapFrom;
  }

  private startCommit(): void {
    if (!this.mayStart()) return;
    const batch = this.take();
    for (const w of batch) this.waitingEvents -= w.group.length;
    this.running++;
    const finished = (): void => {
      this.running--;
      this.schedule();
      if (this.running === 0 && this.waiting.length === 0) for (const done of this.drained.splice(0)) done();
    };
    // commit() answers every request itself; should it still throw, each one not yet answered
    // gets that error (answering an answered request again changes nothing).
    this.commit(batch).then(finished, (err: unknown) => {
      for (const w of batch) w.reject(err);
      finished();
    });
    // What is still waiting may start at once in another commit.
    this.schedule();
  }

  private async commit(batch: Waiting[]): Promise<void> {
    const lease = this.openFresh?.() ?? null;
    const fresh = new Map<string, FreshDelivery[]>();
    let results: IngestGroupResult[];
    try {
      results = await traceIngestCommit(batch, this.store.dialect, () => this.store.hot.ingest(
        batch.map((w) => w.group),
        lease ? leasingFresh(this.plan, lease, fresh) : this.plan,
      ));
    } catch (err) {
      lease?.cancel();
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // One request's failure must not fail the others that shared its transaction.
      for (const w of batch) await this.commit([w]);
      return;
    }
    // Committed: nothing below may send the batch round again (it would store its events twice).
    batch.forEach((w, i) => w.resolve(results[i]!));
    lease?.sent(storedFresh(fresh, storedEventIds(results)));
    this.store.notifier.notify();
  }
}

/** The events a commit stored anew (replays were stored before, and planned nothing now). */
function* storedEventIds(results: readonly IngestGroupResult[]): Iterable<string> {
  for (const r of results) if (r.ok) for (const e of r.events) if (!e.replayed) yield e.event_id;
}
