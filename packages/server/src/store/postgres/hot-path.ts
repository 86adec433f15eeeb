import type {
  ClaimedDelivery,
  CompletionReport,
  DeliveryResult,
  FanOutPlanner,
  HeldLeases,
  HotPath,
  IngestGroup,
  IngestGroupResult,
  NewEvent,
  Subscriber,
} from '../types.js';
import { planIngest, subscriberFromRow, type SubscriberRow } from '../ingest-plan.js';
import type { StoredIdempotent } from '../replays.js';
import { ATTEMPT_COLUMNS, attemptRow, columnArrays, insertManySql, type AttemptRow } from '../row-sets.js';
import { STATS_MANY_SQL, statsManyParams, writeRowSet } from '../row-writer.js';
import { isUniqueViolation, type SqlExecutor } from '../sql.js';
import { CLAIM_WEBHOOKS_IF_DUE_SQL, claimWebhooks, claimWindow, RoundRobin, walkParams } from '../queries/fair-claim.js';
import { fifoInOrder, promoteFifo } from '../queries/fifo.js';
import { PULL_DUE_SQL } from '../queries/pull.js';
import { aggregateWebhookStats } from '../webhook-stats.js';
import type { PostgresDatabase } from './database.js';

// Leases the `picked` pending-work rows. Params: token, lease end.
const LEASE_PICKED = `
  UPDATE delivery_queue q SET lease_token = ?, next_attempt_at = ? FROM picked WHERE q.delivery_id = picked.id
  RETURNING q.delivery_id, q.fifo`;

// The claimed deliveries: the leased rows with their wide rows, events and webhooks.
const CLAIMED_FROM_LEASED = `SELECT d.id, d.org_id, d.webhook_id, d.attempts, d.is_test, l.fifo, d.event_id,
  w.revision AS webhook_revision, w.state AS webhook_state,
  e.type AS event_type, e.app_id, e.entity_type, e.entity_id, e.entity, e.modified_fields, e.event_time
FROM leased l JOIN deliveries d ON d.id = l.delivery_id JOIN events e ON e.id = d.event_id LEFT JOIN webhooks w ON w.id = d.webhook_id`;

// Fair claim (queries/fair-claim.ts, fillClaim): each webhook found by CLAIM_WEBHOOKS_SQL
// locks its equal share of due deliveries, oldest first; then what the others left over is
// split between those that filled their share. The claim takes every webhook's oldest, then
// every webhook's second, and so on. Rows locked beyond the claim's size (a few) are unlocked at commit.
// Only the pending-work rows (delivery_queue) are locked and leased; the wide rows are read.
const DUE_OF = (hook: string) => `
    SELECT q.delivery_id AS id, q.webhook_id, q.next_attempt_at FROM delivery_queue q
    WHERE q.pull = 0 AND q.webhook_id = ${hook} AND q.next_attempt_at <= ? AND ${fifoInOrder('q')}`;
const CLAIM_SQL = `
WITH hooks AS (
  SELECT h.w FROM unnest(?::text[]) AS h(w)
), share AS (
  SELECT ceil(?::numeric / greatest(count(*), 1))::int AS k FROM hooks
), first AS (
  SELECT c.* FROM hooks h CROSS JOIN share s CROSS JOIN LATERAL (${DUE_OF('h.w')}
    ORDER BY q.pull, q.webhook_id, q.next_attempt_at LIMIT s.k FOR UPDATE SKIP LOCKED
  ) c
), hungry AS (
  SELECT f.webhook_id AS w FROM first f GROUP BY f.webhook_id HAVING count(*) >= (SELECT k FROM share)
), more AS (
  SELECT ceil(greatest(? - (SELECT count(*) FROM first), 0)::numeric / greatest(count(*), 1))::int AS k FROM hungry
), second AS (
  SELECT c.* FROM hungry h CROSS JOIN more s CROSS JOIN LATERAL (${DUE_OF('h.w')} AND q.delivery_id NOT IN (SELECT id FROM first)
    ORDER BY q.pull, q.webhook_id, q.next_attempt_at LIMIT s.k FOR UPDATE SKIP LOCKED
  ) c
), due AS (
  SELECT x.id, x.next_attempt_at, row_number() OVER (PARTITION BY x.webhook_id ORDER BY x.next_attempt_at) AS rn
  FROM (SELECT * FROM first UNION ALL SELECT * FROM second) x
), picked AS (
  SELECT id FROM due ORDER BY rn, next_attempt_at LIMIT ?
), leased AS (${LEASE_PICKED}
)
${CLAIMED_FROM_LEASED}`;

// A poll webhook's oldest due deliveries, leased by its consumer (queries/pull.ts).
const CLAIM_PULL_SQL = `
WITH picked AS (${PULL_DUE_SQL} FOR UPDATE SKIP LOCKED
), leased AS (${LEASE_PICKED}
)
${CLAIMED_FROM_LEASED}
ORDER BY d.created_at, d.id`;

// One statement writes a whole batch: the fence on the pending-work rows (a retry's row gets
// its next attempt time, a final result's row goes), the wide rows of those that held (an
// update of unindexed columns only: HOT), attempt rows and webhook stats.
const COMPLETE_SQL = `
WITH r AS (
  SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::int[], ?::bigint[], ?::bigint[], ?::int[], ?::int[], ?::text[])
    AS r(id, token, status, inc, next_at, attempted_at, status_code, set_error, error)
), retry AS (
  UPDATE delivery_queue q SET next_attempt_at = r.next_at, lease_token = NULL
  FROM r WHERE q.delivery_id = r.id AND q.lease_token = r.token AND r.status = 'pending'
  RETURNING q.delivery_id AS id
), done AS (
  DELETE FROM delivery_queue q USING r WHERE q.delivery_id = r.id AND q.lease_token = r.token AND r.status <> 'pending'
  RETURNING q.delivery_id AS id
), held AS (
  SELECT id FROM retry UNION ALL SELECT id FROM done
), upd AS (
  UPDATE deliveries d SET status = r.status, attempts = d.attempts + r.inc, updated_at = ?,
    last_attempt_at = coalesce(r.attempted_at, d.last_attempt_at),
    last_status_code = coalesce(r.status_code, d.last_status_code),
    last_error = CASE WHEN r.set_error = 1 THEN r.error ELSE d.last_error END
  FROM r JOIN held h ON h.id = r.id WHERE d.id = r.id
  RETURNING d.id
), att AS (
  ${insertManySql('attempts', ATTEMPT_COLUMNS)}
), stats AS (
  ${STATS_MANY_SQL}
)
SELECT id FROM upd`;

const NO_SKIP: ReadonlySet<string> = new Set();

interface SubscriptionRow extends SubscriberRow {
  org_id: string;
  event_type: string;
}

/** PostgreSQL hot path: a handful of statements per batch, whatever the batch size. */
export class PostgresHotPath implements HotPath {
  private readonly roundRobin = new RoundRobin();

  constructor(private readonly db: PostgresDatabase) {}

  async ingest(groups: readonly IngestGroup[], plan: FanOutPlanner): Promise<IngestGroupResult[]> {
    try {
      return await this.db.transaction((tx) => this.ingestIn(tx, groups, plan));
    } catch (err) {
      // Another process stored the same idempotency key between our read and our insert:
      // run again, and the key is now found and answered as a replay or a conflict.
      if (isUniqueViolation(err)) return this.db.transaction((tx) => this.ingestIn(tx, groups, plan));
      throw err;
    }
  }

  private async ingestIn(tx: SqlExecutor, groups: readonly IngestGroup[], plan: FanOutPlanner): Promise<IngestGroupResult[]> {
    const all = groups.flat();
    const stored = await this.storedKeys(tx, all);
    const subscribers = await this.subscribers(tx, all);
    const { results, rows } = planIngest(groups, {
      stored: (org, key) => stored.get(`${org}\u0000${key}`),
      subscribers: (org, type) => subscribers.get(`${org}\u0000${type}`) ?? [],
    }, plan);
    await writeRowSet(tx, rows);
    return results;
  }

  private async storedKeys(tx: SqlExecutor, events: readonly NewEvent[]): Promise<Map<string, StoredIdempotent>> {
    const keyed = events.filter((e) => e.idempotency_key !== null);
    const map = new Map<string, StoredIdempotent>();
    if (keyed.length === 0) return map;
    const rows = await tx.all<StoredIdempotent & { org_id: string; idempotency_key: string }>(
      `SELECT e.id, e.org_id, e.idempotency_key, e.request_hash, e.delivery_count FROM events e
       JOIN unnest(?::text[], ?::text[]) AS k(org_id, key) ON e.org_id = k.org_id AND e.idempotency_key = k.key`,
      [keyed.map((e) => e.org_id), keyed.map((e) => e.idempotency_key)],
    );
    for (const r of rows) map.set(`${r.org_id}\u0000${r.idempotency_key}`, r);
    return map;
  }

  private async subscribers(tx: SqlExecutor, events: readonly NewEvent[]): Promise<Map<string, Subscriber[]>> {
    const pairs = new Map<string, [string, string]>();
    for (const e of events) pairs.set(`${e.org_id}\u0000${e.type}`, [e.org_id, e.type]);
    const orgs = [...new Set(events.map((e) => e.org_id))];
    const rows = await tx.all<SubscriptionRow>(
      `SELECT s.org_id, s.event_type, w.id, w.state, w.revision, w.apps, w.filter, w.delivery, w.policy, w.destination FROM webhook_subscriptions s
       JOIN webhooks w ON w.id = s.webhook_id
       WHERE (s.org_id, s.event_type) IN (SELECT * FROM unnest(?::text[], ?::text[]))
          OR (s.event_type = '*' AND s.org_id = ANY(?::text[]))`,
      [[...pairs.values()].map((p) => p[0]), [...pairs.values()].map((p) => p[1]), orgs],
    );
    const map = new Map<string, Subscriber[]>();
    for (const [key, [org, type]] of pairs) {
      const seen = new Set<string>();
      const subs: Subscriber[] = [];
      for (const r of rows) {
        if (r.org_id !== org || (r.event_type !== type && r.event_type !== '*') || seen.has(r.id)) continue;
        seen.add(r.id);
        subs.push(subscriberFromRow(r));
      }
      map.set(key, subs);
    }
    return map;
  }

  async claim(limit: number, now: number, leaseMs: number, token: string, skip: ReadonlySet<string> = NO_SKIP): Promise<ClaimedDelivery[]> {
    const window = claimWindow(limit);
    const found = await this.db.all<{ webhook_id: string; kind: number }>(CLAIM_WEBHOOKS_IF_DUE_SQL, [...walkParams(this.roundRobin.after, window, now, limit), now]);
    const hooks = claimWebhooks(found, window, this.roundRobin, skip);
    if (hooks.length === 0) return [];
    const rows = await this.db.all<Omit<ClaimedDelivery, 'lease_token'>>(CLAIM_SQL, [hooks, limit, now, limit, now, limit, token, now + leaseMs]);
    return rows.map((r) => ({ ...r, is_test: Boolean(r.is_test), fifo: Boolean(r.fifo), lease_token: token }));
  }

  async claimPull(webhookId: string, limit: number, now: number, leaseMs: number, token: string): Promise<ClaimedDelivery[]> {
    const rows = await this.db.all<Omit<ClaimedDelivery, 'lease_token'>>(CLAIM_PULL_SQL, [webhookId, now, limit, token, now + leaseMs]);
    return rows.map((r) => ({ ...r, attempts: Number(r.attempts), is_test: Boolean(r.is_test), fifo: Boolean(r.fifo), lease_token: token }));
  }

  async complete(results: readonly DeliveryResult[], now: number): Promise<CompletionReport> {
    if (results.length === 0) return { applied: 0, fenced: [] };
    // A finished fifo delivery releases its webhook's next one, and a 410 deactivates its
    // webhook, in the same transaction as the result: a crash between them loses neither.
    if (results.some((r) => (r.fifo && r.status !== 'pending') || r.deactivate_reason)) {
      return this.db.transaction(async (tx) => {
        const report = await this.completeIn(tx, results, now);
        const fenced = new Set(report.fenced);
        const finished = new Set(results.filter((r) => r.fifo && r.status !== 'pending' && !fenced.has(r.delivery_id)).map((r) => r.webhook_id));
        for (const id of [...finished].sort()) await promoteFifo(tx, id, now);
        return report;
      });
    }
    return this.completeIn(this.db, results, now);
  }

  private async completeIn(db: SqlExecutor, results: readonly DeliveryResult[], now: number): Promise<CompletionReport> {
    const d: unknown[][] = [[], [], [], [], [], [], [], [], []];
    const attempts: AttemptRow[] = [];
    for (const r of results) {
      const t = r.attempt;
      [r.delivery_id, r.lease_token, r.status, t ? 1 : 0, r.next_attempt_at, t?.started_at ?? null,
        t?.status_code ?? null, t ? 1 : 0, t?.error_message ?? null].forEach((v, i) => d[i]!.push(v));
      if (t) attempts.push(attemptRow(t));
    }
    const a = columnArrays(ATTEMPT_COLUMNS, attempts);
    const s = statsManyParams(aggregateWebhookStats(results));
    const updated = await db.all<{ id: string }>(COMPLETE_SQL, [...d, now, ...a, ...s]);
    const appliedIds = new Set(updated.map((u) => u.id));
    const deactivations = results.filter((r) => r.deactivate_reason && appliedIds.has(r.delivery_id));
    if (deactivations.length > 0) {
      await db.run(
        `UPDATE webhooks w SET state = 'deactivated', state_reason = x.reason, revision = w.revision + 1, updated_at = ?
         FROM unnest(?::text[], ?::text[]) AS x(id, reason) WHERE w.id = x.id AND w.state = 'enabled'`,
        [now, deactivations.map((r) => r.webhook_id), deactivations.map((r) => r.deactivate_reason)],
      );
    }
    return { applied: appliedIds.size, fenced: results.filter((r) => !appliedIds.has(r.delivery_id)).map((r) => r.delivery_id) };
  }

  async renew(held: HeldLeases, until: number): Promise<void> {
    if (held.ids.length === 0) return;
    await this.db.run(
      `UPDATE delivery_queue SET next_attempt_at = ? WHERE delivery_id = ANY(?::text[]) AND lease_token = ANY(?::text[])`,
      [until, held.ids, held.tokens],
    );
  }

  async release(held: HeldLeases, now: number): Promise<void> {
    if (held.ids.length === 0) return;
    await this.db.run(
      `UPDATE delivery_queue SET next_attempt_at = ?, lease_token = NULL WHERE delivery_id = ANY(?::text[]) AND lease_token = ANY(?::text[])`,
      [now, held.ids, held.tokens],
    );
  }

  async nextDueAt(): Promise<number | null> {
    const row = await this.db.get<{ t: number | null }>(`SELECT min(next_attempt_at) AS t FROM delivery_queue WHERE pull = 0`);
    return row?.t ?? null;
  }
}
