import type { Store } from '../store/store.js';
import type { FanOutPlanner, IngestGroup, IngestGroupResult } from '../store/types.js';

interface Waiting {
  group: IngestGroup;
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
  private running = 0;
  private scheduled = false;

  /**
   * @param maxConcurrentCommits commits whose durability wait may overlap: on SQLite the commit
   *   is quick and the fsync that follows runs off the event loop, so the next group commits
   *   while the previous one syncs; on PostgreSQL several transactions use the pool.
   */
  constructor(
    private readonly store: Store,
    private readonly plan: FanOutPlanner,
    private readonly maxEventsPerCommit = 5000,
    private readonly maxConcurrentCommits = 4,
  ) {}

  submit(group: IngestGroup): Promise<IngestGroupResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ group, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.maxConcurrentCommits || this.waiting.length === 0) return;
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

  private startCommit(): void {
    if (this.running >= this.maxConcurrentCommits || this.waiting.length === 0) return;
    const batch = this.take();
    this.running++;
    void this.commit(batch).finally(() => {
      this.running--;
      this.schedule();
    });
    // What is still waiting may start at once in another commit.
    this.schedule();
  }

  private async commit(batch: Waiting[]): Promise<void> {
    try {
      const results = await this.store.hot.ingest(
        batch.map((w) => w.group),
        this.plan,
      );
      batch.forEach((w, i) => w.resolve(results[i]!));
      this.store.notifier.notify();
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // One request's failure must not fail the others that shared its transaction.
      for (const w of batch) await this.commit([w]);
    }
  }
}
