import type { Statement, Transaction } from 'better-sqlite3';
import type {
  ClaimedDelivery,
  CompletionReport,
  DeliveryResult,
  FanOutPlanner,
  HeldLeases,
  HotPath,
  IngestGroup,
  IngestGroupResult,
  Subscriber,
} from '../types.js';
import { ANY_DUE_SQL, CLAIM_WEBHOOKS_SQL, claimWebhooks, claimWindow, fillClaim, RoundRobin, walkParams, type DueCandidate } from '../queries/fair-claim.js';
import { fifoInOrder, PROMOTE_FIFO_SQL } from '../queries/fifo.js';
import { CLAIMED_COLUMNS, PULL_DUE_SQL } from '../queries/pull.js';
import { planIngest, subscriberFromRow, type SubscriberRow } from '../ingest-plan.js';
import { attemptRow, emptyRowSet } from '../row-sets.js';
import { aggregateWebhookStats } from '../webhook-stats.js';
import type { StoredIdempotent } from '../replays.js';
import type { SqliteDatabase } from './database.js';
import { SqliteRowWriter } from './row-writer.js';

const NO_SKIP: ReadonlySet<string> = new Set();

/**
 * SQLite hot path. Each method is one synchronous better-sqlite3 transaction over cached
 * statements: one fsync per batch, whatever the batch size.
 */
export class SqliteHotPath implements HotPath {
  private readonly st: Record<string, Statement>;
  private readonly rows: SqliteRowWriter;
  private readonly roundRobin = new RoundRobin();
  private readonly tx: {
    ingest: Transaction<(groups: readonly IngestGroup[], plan: FanOutPlanner) => IngestGroupResult[]>;
    claim: Transaction<(limit: number, now: number, leaseMs: number, token: string, skip: ReadonlySet<string>) => ClaimedDelivery[]>;
    complete: Transaction<(results: readonly DeliveryResult[], now: number) => CompletionReport>;
  };

  constructor(private readonly db: SqliteDatabase) {
    const p = (sql: string) => db.prepare(sql);
    this.rows = new SqliteRowWriter(db);
    this.st = {
      findIdempotent: p('SELECT id, request_hash, delivery_count FROM events WHERE org_id = ? AND idempotency_key = ?'),
      subscribers: p(
        `SELECT DISTINCT w.id, w.state, w.revision, w.apps, w.filter, w.delivery, w.policy, w.destination FROM webhook_subscriptions s
         JOIN webhooks w ON w.id = s.webhook_id WHERE s.org_id = ? AND s.event_type IN (?, '*')`,
      ),
      anyDue: p(ANY_DUE_SQL),
      claimWebhooks: p(CLAIM_WEBHOOKS_SQL),
      dueOf: p(
        `SELECT c.delivery_id AS id, c.next_attempt_at FROM delivery_queue c
         WHERE c.pull = 0 AND c.webhook_id = ? AND c.next_attempt_at <= ? AND ${fifoInOrder('c')}
         ORDER BY c.pull, c.webhook_id, c.next_attempt_at LIMIT ? OFFSET ?`,
      ),
      pullDue: p(PULL_DUE_SQL),
      claim: p(`UPDATE delivery_queue SET lease_token = ?, next_attempt_at = ? WHERE delivery_id IN (SELECT value FROM json_each(?))`),
      claimed: p(
        `SELECT ${CLAIMED_COLUMNS}
         FROM delivery_queue q JOIN deliveries d ON d.id = q.delivery_id JOIN events e ON e.id = d.event_id LEFT JOIN webhooks w ON w.id = d.webhook_id
         WHERE q.delivery_id IN (SELECT value FROM json_each(?))`,
      ),
      // The fence: a retry's pending-work row gets its next attempt time, a final result's goes;
      // the wide row is written only when one of them changed a row.
      retry: p(`UPDATE delivery_queue SET next_attempt_at = ?, lease_token = NULL WHERE delivery_id = ? AND lease_token = ?`),
      done: p(`DELETE FROM delivery_queue WHERE delivery_id = ? AND lease_token = ?`),
      complete: p(
        `UPDATE deliveries SET status = ?, attempts = attempts + ?, updated_at = ?,
           last_attempt_at = coalesce(?, last_attempt_at), last_status_code = coalesce(?, last_status_code),
           last_error = CASE WHEN ? = 1 THEN ? ELSE last_error END
         WHERE id = ?`,
      ),
      deactivate: p(
        `UPDATE webhooks SET state = 'deactivated', state_reason = ?, revision = revision + 1, updated_at = ?
         WHERE id = ? AND state = 'enabled'`,
      ),
      renew: p(
        `UPDATE delivery_queue SET next_attempt_at = ?
         WHERE delivery_id IN (SELECT value FROM json_each(?)) AND lease_token IN (SELECT value FROM json_each(?))`,
      ),
      release: p(
        `UPDATE delivery_queue SET next_attempt_at = ?, lease_token = NULL
         WHERE delivery_id IN (SELECT value FROM json_each(?)) AND lease_token IN (SELECT value FROM json_each(?))`,
      ),
      nextDue: p(`SELECT min(next_attempt_at) AS t FROM delivery_queue WHERE pull = 0`),
      promoteFifo: p(PROMOTE_FIFO_SQL),
    };
    // Wrapped once: better-sqlite3 builds five functions per transaction() call.
    const tx = db.raw.transaction.bind(db.raw);
    this.tx = {
      ingest: tx((groups: readonly IngestGroup[], plan: FanOutPlanner) => this.ingestIn(groups, plan)),
      claim: tx((limit: number, now: number, leaseMs: number, token: string, skip: ReadonlySet<string>) => this.claimIn(limit, now, leaseMs, token, skip)),
      complete: tx((results: readonly DeliveryResult[], now: number) => this.completeIn(results, now)),
    };
  }

  async ingest(groups: readonly IngestGroup[], plan: FanOutPlanner): Promise<IngestGroupResult[]> {
    await this.db.idle();
    return this.db.durable(() => this.tx.ingest.immediate(groups, plan));
  }

  private ingestIn(groups: readonly IngestGroup[], plan: FanOutPlanner): IngestGroupResult[] {
    const subscribers = new Map<string, readonly Subscriber[]>();
    const { results, rows } = planIngest(groups, {
      stored: (org, key) => this.st.findIdempotent!.get(org, key) as StoredIdempotent | undefined,
      subscribers: (org, type) => {
        const key = `${org}\u0000${type}`;
        let subs = subscribers.get(key);
        if (!subs) subscribers.set(key, (subs = (this.st.subscribers!.all(org, type) as SubscriberRow[]).map(subscriberFromRow)));
        return subs;
      },
    }, plan);
    this.rows.write(rows);
    return results;
  }

  /** Fair claim (queries/fair-claim.ts): the webhooks with pending work round-robin, each its share, oldest first. */
  async claim(limit: number, now: number, leaseMs: number, token: string, skip: ReadonlySet<string> = NO_SKIP): Promise<ClaimedDelivery[]> {
    await this.db.idle();
    const rows = this.db.relaxed(() => this.tx.claim.immediate(limit, now, leaseMs, token, skip));
    for (const r of rows) {
      r.is_test = Boolean(r.is_test);
      r.fifo = Boolean(r.fifo);
    }
    return rows;
  }

  private claimIn(limit: number, now: number, leaseMs: number, token: string, skip: ReadonlySet<string>): ClaimedDelivery[] {
    // Most looks (one per finished request) find nothing due: one index probe answers them,
    // without the fair claim's walk over the webhooks.
    if (this.st.anyDue!.get(now) === undefined) return [];
    const window = claimWindow(limit);
    const rows = this.st.claimWebhooks!.all(...walkParams(this.roundRobin.after, window, now, limit)) as { webhook_id: string; kind: number }[];
    const hooks = claimWebhooks(rows, window, this.roundRobin, skip);
    const ids = fillClaim(hooks, limit, (w, count, offset) => this.st.dueOf!.all(w, now, count, offset) as DueCandidate[]);
    if (ids.length === 0) return [];
    const list = JSON.stringify(ids);
    this.st.claim!.run(token, now + leaseMs, list);
    return this.st.claimed!.all(list) as ClaimedDelivery[];
  }

  async claimPull(webhookId: string, limit: number, now: number, leaseMs: number, token: string): Promise<ClaimedDelivery[]> {
    await this.db.idle();
    const run = this.db.raw.transaction(() => {
      const ids = (this.st.pullDue!.all(webhookId, now, limit) as { id: string }[]).map((r) => r.id);
      if (ids.length === 0) return [];
      const list = JSON.stringify(ids);
      this.st.claim!.run(token, now + leaseMs, list);
      const order = new Map(ids.map((id, i) => [id, i]));
      return (this.st.claimed!.all(list) as ClaimedDelivery[]).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    });
    // Relaxed like the worker's claim: a lease lost in a crash is released at the next start.
    const rows = this.db.relaxed(() => run.immediate());
    for (const r of rows) {
      r.is_test = Boolean(r.is_test);
      r.fifo = Boolean(r.fifo);
    }
    return rows;
  }

  async complete(results: readonly DeliveryResult[], now: number): Promise<CompletionReport> {
    await this.db.idle();
    return this.db.relaxed(() => this.tx.complete.immediate(results, now));
  }

  private completeIn(results: readonly DeliveryResult[], now: number): CompletionReport {
    const fenced: string[] = [];
    let applied = 0;
    const written = emptyRowSet();
    for (const r of results) {
      const a = r.attempt;
      const changed = r.status === 'pending'
        ? this.st.retry!.run(r.next_attempt_at, r.delivery_id, r.lease_token).changes
        : this.st.done!.run(r.delivery_id, r.lease_token).changes;
      if (changed > 0) {
        this.st.complete!.run(
          r.status, a ? 1 : 0, now, a?.started_at ?? null, a?.status_code ?? null, a ? 1 : 0, a?.error_message ?? null, r.delivery_id,
        );
      }
      if (changed === 0) fenced.push(r.delivery_id);
      else applied++;
      if (a) written.attempts.push(attemptRow(a));
      if (r.deactivate_reason && changed > 0) this.st.deactivate!.run(r.deactivate_reason, now, r.webhook_id);
      if (r.fifo && changed > 0 && r.status !== 'pending') this.st.promoteFifo!.run(now, r.webhook_id);
    }
    written.stats = aggregateWebhookStats(results);
    this.rows.write(written);
    return { applied, fenced };
  }

  async renew(held: HeldLeases, until: number): Promise<void> {
    if (held.ids.length === 0) return;
    await this.db.idle();
    this.db.relaxed(() => this.st.renew!.run(until, JSON.stringify(held.ids), JSON.stringify(held.tokens)));
  }

  async release(held: HeldLeases, now: number): Promise<void> {
    if (held.ids.length === 0) return;
    await this.db.idle();
    // Relaxed like a claim: a release lost in a crash is made again at the next start.
    this.db.relaxed(() => this.st.release!.run(now, JSON.stringify(held.ids), JSON.stringify(held.tokens)));
  }

  async nextDueAt(): Promise<number | null> {
    await this.db.idle();
    const row = this.st.nextDue!.get() as { t: number | null } | undefined;
    return row?.t ?? null;
  }

  /**
   * At start the file's only user releases every lease its dead predecessor held (a scan of
   * the pending-work table: no index of lease tokens is kept, and this runs once).
   */
  releaseAll(now: number): number {
    return this.db.raw
      .prepare(`UPDATE delivery_queue SET next_attempt_at = ?, lease_token = NULL WHERE lease_token IS NOT NULL`)
      .run(now).changes;
  }
}
