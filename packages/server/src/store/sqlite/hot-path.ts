import type { Statement } from 'better-sqlite3';
import type {
  ClaimedDelivery,
  CompletionReport,
  DeliveryResult,
  FanOutPlanner,
  HotPath,
  IngestGroup,
  IngestGroupResult,
  IngestedEvent,
  NewEvent,
  Subscriber,
} from '../types.js';
import { CLAIM_WEBHOOKS_SQL, claimWebhooks, claimWindow, fillClaim, RoundRobin, walkParams, type DueCandidate } from '../queries/fair-claim.js';
import { fifoInOrder, PARK_FIFO_SQL, PROMOTE_FIFO_SQL } from '../queries/fifo.js';
import { aggregateWebhookStats } from '../webhook-stats.js';
import { findReplays, type StoredIdempotent } from '../replays.js';
import type { SqliteDatabase } from './database.js';

const NO_SKIP: ReadonlySet<string> = new Set();

interface SubscriberRow {
  id: string;
  state: Subscriber['state'];
  apps: string | null;
  filter: string | null;
  delivery: string;
  policy: string;
}

/**
 * SQLite hot path. Each method is one synchronous better-sqlite3 transaction over cached
 * statements: one fsync per batch, whatever the batch size.
 */
export class SqliteHotPath implements HotPath {
  private readonly st: Record<string, Statement>;
  private readonly roundRobin = new RoundRobin();

  constructor(private readonly db: SqliteDatabase) {
    const p = (sql: string) => db.prepare(sql);
    this.st = {
      findIdempotent: p('SELECT id, request_hash, delivery_count FROM events WHERE org_id = ? AND idempotency_key = ?'),
      subscribers: p(
        `SELECT DISTINCT w.id, w.state, w.apps, w.filter, w.delivery, w.policy FROM webhook_subscriptions s
         JOIN webhooks w ON w.id = s.webhook_id WHERE s.org_id = ? AND s.event_type IN (?, '*')`,
      ),
      insertEvent: p(
        `INSERT INTO events (id, org_id, app_id, type, entity_type, entity_id, entity, modified_fields, event_time,
           idempotency_key, request_hash, delivery_count, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      ),
      insertDelivery: p(
        `INSERT INTO deliveries (id, org_id, webhook_id, event_id, status, attempts, next_attempt_at, created_at, updated_at, fifo)
         VALUES (?,?,?,?,?,0,?,?,?,?)`,
      ),
      claimWebhooks: p(CLAIM_WEBHOOKS_SQL),
      dueOf: p(
        `SELECT c.id, c.next_attempt_at FROM deliveries c
         WHERE c.webhook_id = ? AND c.status = 'pending' AND c.next_attempt_at <= ? AND ${fifoInOrder('c')}
         ORDER BY c.next_attempt_at LIMIT ? OFFSET ?`,
      ),
      claim: p(`UPDATE deliveries SET lease_token = ?, next_attempt_at = ? WHERE id IN (SELECT value FROM json_each(?))`),
      claimed: p(
        `SELECT d.id, d.org_id, d.webhook_id, d.attempts, d.is_test, d.fifo, d.lease_token, d.event_id,
           w.revision AS webhook_revision, w.state AS webhook_state,
           e.type AS event_type, e.app_id, e.entity_type, e.entity_id, e.entity, e.modified_fields, e.event_time
         FROM deliveries d JOIN events e ON e.id = d.event_id LEFT JOIN webhooks w ON w.id = d.webhook_id
         WHERE d.id IN (SELECT value FROM json_each(?))`,
      ),
      complete: p(
        `UPDATE deliveries SET status = ?, attempts = attempts + ?, next_attempt_at = ?, lease_token = NULL, updated_at = ?,
           last_attempt_at = coalesce(?, last_attempt_at), last_status_code = coalesce(?, last_status_code),
           last_error = CASE WHEN ? = 1 THEN ? ELSE last_error END
         WHERE id = ? AND lease_token = ?`,
      ),
      insertAttempt: p(
        `INSERT INTO attempts (id, delivery_id, webhook_id, org_id, attempt, started_at, duration_ms, outcome, status_code,
           error_code, error_message, request_headers, response_headers, response_body, response_truncated, is_test)
         VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      ),
      stats: p(
        `UPDATE webhooks SET last_triggered_at = max(coalesce(last_triggered_at, 0), ?),
           last_success_at = CASE WHEN ? IS NULL THEN last_success_at ELSE max(coalesce(last_success_at, 0), ?) END,
           last_failure_at = CASE WHEN ? IS NULL THEN last_failure_at ELSE max(coalesce(last_failure_at, 0), ?) END,
           consecutive_failures = CASE WHEN ? = 1 THEN ? ELSE consecutive_failures + ? END,
           failures_total = failures_total + ?, successes_total = successes_total + ?
         WHERE id = ?`,
      ),
      deactivate: p(
        `UPDATE webhooks SET state = 'deactivated', state_reason = ?, revision = revision + 1, updated_at = ?
         WHERE id = ? AND state = 'enabled'`,
      ),
      renew: p(
        `UPDATE deliveries SET next_attempt_at = ? WHERE status = 'pending' AND lease_token IN (SELECT value FROM json_each(?))`,
      ),
      release: p(
        `UPDATE deliveries SET next_attempt_at = ?, lease_token = NULL
         WHERE status = 'pending' AND lease_token IN (SELECT value FROM json_each(?))`,
      ),
      nextDue: p(`SELECT min(next_attempt_at) AS t FROM deliveries WHERE status = 'pending'`),
      parkFifo: p(PARK_FIFO_SQL),
      promoteFifo: p(PROMOTE_FIFO_SQL),
    };
  }

  async ingest(groups: readonly IngestGroup[], plan: FanOutPlanner): Promise<IngestGroupResult[]> {
    await this.db.idle();
    const run = this.db.raw.transaction((): IngestGroupResult[] => {
      const subscriberCache = new Map<string, Subscriber[]>();
      const fifoTouched = new Set<string>();
      const results: IngestGroupResult[] = [];
      for (const group of groups) {
        const replays = findReplays(group, (org, key) => this.st.findIdempotent!.get(org, key) as StoredIdempotent | undefined);
        if (typeof replays === 'string') {
          results.push({ ok: false, conflict: replays });
          continue;
        }
        const events: IngestedEvent[] = [];
        const done = new Map<string, IngestedEvent>();
        for (const ev of group) {
          const replay = replays.get(ev);
          if (replay) {
            events.push('replayed' in replay ? replay : { ...done.get(replay.id)!, replayed: true });
            continue;
          }
          const subs = this.subscribersOf(ev, subscriberCache);
          const planned = plan(ev, subs);
          this.st.insertEvent!.run(
            ev.id, ev.org_id, ev.app_id, ev.type, ev.entity_type, ev.entity_id, ev.entity,
            JSON.stringify(ev.modified_fields), ev.event_time, ev.idempotency_key, ev.request_hash,
            planned.length, ev.created_at,
          );
          for (const d of planned) {
            const due = d.status === 'pending' ? ev.created_at : null;
            const fifo = d.fifo === true;
            if (fifo) fifoTouched.add(d.webhook_id);
            this.st.insertDelivery!.run(d.id, ev.org_id, d.webhook_id, ev.id, d.status, due, ev.created_at, ev.created_at, fifo ? 1 : 0);
          }
          const result = { event_id: ev.id, deliveries: planned.length, replayed: false };
          done.set(ev.id, result);
          events.push(result);
        }
        results.push({ ok: true, events });
      }
      // A fifo webhook's new deliveries wait behind its oldest pending one.
      for (const id of fifoTouched) this.st.parkFifo!.run(id, id);
      return results;
    });
    return this.db.durable(() => run.immediate());
  }

  private subscribersOf(ev: NewEvent, cache: Map<string, Subscriber[]>): Subscriber[] {
    const key = `${ev.org_id}\u0000${ev.type}`;
    let subs = cache.get(key);
    if (!subs) {
      subs = (this.st.subscribers!.all(ev.org_id, ev.type) as SubscriberRow[]).map((r) => ({
        id: r.id,
        state: r.state,
        apps: r.apps === null ? null : (JSON.parse(r.apps) as string[]),
        filter: r.filter,
        digest: (JSON.parse(r.delivery) as { mode?: string }).mode === 'digest',
        fifo: (JSON.parse(r.policy) as { ordering?: string }).ordering === 'fifo',
      }));
      cache.set(key, subs);
    }
    return subs;
  }

  /** Fair claim (queries/fair-claim.ts): the webhooks with pending work round-robin, each its share, oldest first. */
  async claim(limit: number, now: number, leaseMs: number, token: string, skip: ReadonlySet<string> = NO_SKIP): Promise<ClaimedDelivery[]> {
    await this.db.idle();
    const run = this.db.raw.transaction(() => {
      const window = claimWindow(limit);
      const rows = this.st.claimWebhooks!.all(...walkParams(this.roundRobin.after, window, now, limit)) as { webhook_id: string; kind: number }[];
      const hooks = claimWebhooks(rows, window, this.roundRobin, skip);
      const ids = fillClaim(hooks, limit, (w, count, offset) => this.st.dueOf!.all(w, now, count, offset) as DueCandidate[]);
      if (ids.length === 0) return [];
      const list = JSON.stringify(ids);
      this.st.claim!.run(token, now + leaseMs, list);
      return this.st.claimed!.all(list) as ClaimedDelivery[];
    });
    const rows = this.db.relaxed(() => run.immediate());
    for (const r of rows) {
      r.is_test = Boolean(r.is_test);
      r.fifo = Boolean(r.fifo);
    }
    return rows;
  }

  async complete(results: readonly DeliveryResult[], now: number): Promise<CompletionReport> {
    await this.db.idle();
    const run = this.db.raw.transaction((): CompletionReport => {
      const fenced: string[] = [];
      let applied = 0;
      for (const r of results) {
        const a = r.attempt;
        const changed = this.st.complete!.run(
          r.status, a ? 1 : 0, r.next_attempt_at, now, a?.started_at ?? null, a?.status_code ?? null,
          a ? 1 : 0, a?.error_message ?? null, r.delivery_id, r.lease_token,
        ).changes;
        if (changed === 0) fenced.push(r.delivery_id);
        else applied++;
        if (a) {
          this.st.insertAttempt!.run(
            a.id, a.delivery_id, a.webhook_id, a.org_id, a.attempt, a.started_at, a.duration_ms, a.outcome,
            a.status_code, a.error_code, a.error_message, JSON.stringify(a.request_headers),
            a.response_headers === null ? null : JSON.stringify(a.response_headers), a.response_body,
            a.response_truncated ? 1 : 0, a.is_test ? 1 : 0,
          );
        }
        if (r.deactivate_reason && changed > 0) this.st.deactivate!.run(r.deactivate_reason, now, r.webhook_id);
        if (r.fifo && changed > 0 && r.status !== 'pending') this.st.promoteFifo!.run(now, r.webhook_id);
      }
      for (const s of aggregateWebhookStats(results)) {
        this.st.stats!.run(
          s.last_triggered_at, s.last_success_at, s.last_success_at, s.last_failure_at, s.last_failure_at,
          s.reset ? 1 : 0, s.consecutive_failures, s.consecutive_failures, s.failures, s.successes, s.webhook_id,
        );
      }
      return { applied, fenced };
    });
    return this.db.relaxed(() => run.immediate());
  }

  async renew(tokens: readonly string[], until: number): Promise<void> {
    if (tokens.length === 0) return;
    await this.db.idle();
    this.db.relaxed(() => this.st.renew!.run(until, JSON.stringify(tokens)));
  }

  async release(tokens: readonly string[], now: number): Promise<void> {
    if (tokens.length === 0) return;
    await this.db.idle();
    this.st.release!.run(now, JSON.stringify(tokens));
  }

  async nextDueAt(): Promise<number | null> {
    await this.db.idle();
    const row = this.st.nextDue!.get() as { t: number | null } | undefined;
    return row?.t ?? null;
  }

  /** At start the file's only user releases every lease its dead predecessor held. */
  releaseAll(now: number): number {
    return this.db.raw
      .prepare(`UPDATE deliveries SET next_attempt_at = ?, lease_token = NULL WHERE status = 'pending' AND lease_token IS NOT NULL`)
      .run(now).changes;
  }
}
